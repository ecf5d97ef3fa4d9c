import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/*
 * Every request an SDK client sends builds its middleware chain anew: the command concatenates the
 * client's stack with its own (a document command does it twice), which copies every entry into a
 * new stack each time, then sorts the entries by step and priority and places the relative ones.
 * On the in-process store that was about a third of a request's CPU, for a result that is the same
 * for every request of one command class as long as nobody changes a stack.
 *
 * Caching the composed handler (the SDK's `cacheMiddleware`) is not safe: every request would share
 * the first one's context, and a document command the first command's input. So only the ORDER is
 * cached. The client's stack hands out, for `concat`, a stack that records what each command adds
 * (when the concat happens, as a real one copies it then) and, on `resolve`, composes the recorded
 * middlewares of THIS request, with this request's context, in the order the SDK's own stack code
 * worked out once for the same names, steps, priorities and relations. Any change to the client's
 * stack (a counter, fault injection, a recorder added or removed at any time) discards the orders
 * worked out before it.
 */

type Stack = DynamoDBClient['middlewareStack'];
type Middleware = (next: unknown, context: unknown) => unknown;
type Options = Record<string, unknown>;
interface Entry {
  relative: boolean;
  middleware: Middleware;
  options: Options;
}

/** More distinct orders than aios has command classes means something builds stacks on the fly. */
const MAX_ORDERS = 256;

/** What a stack or plugin adds in `applyToStack`, in the order it adds it. */
class Recording {
  readonly entries: Entry[] = [];
  /** `identifyOnResolve`, as a copy (`cloneTo`) sets it on its target and `concat` reads it. */
  identify = false;
  // As a stack's add and addRelativeTo keep them: a `middleware` in the options wins over the argument.
  add(middleware: Middleware, options: Options = {}) {
    this.entries.push({
      relative: false,
      middleware: (options.middleware as Middleware) ?? middleware,
      options,
    });
  }
  addRelativeTo(middleware: Middleware, options: Options) {
    this.entries.push({
      relative: true,
      middleware: (options.middleware as Middleware) ?? middleware,
      options,
    });
  }
  identifyOnResolve(toggle?: boolean) {
    if (toggle === true) this.identify = true;
    return this.identify;
  }
  /** The fields that decide where the entries go; the stack code reads no others to order them. */
  signature(): string {
    let key = '';
    for (const { relative, options: o } of this.entries)
      key += `${relative ? 'r' : 'a'}|${o.name}|${o.aliases}|${o.override}|${o.step}|${o.priority}|${o.relation}|${o.toMiddleware};`;
    return key;
  }
}

function record(from: { applyToStack(stack: never): void; identifyOnResolve?(): boolean }): Recording {
  const recording = new Recording();
  recording.identify = from.identifyOnResolve?.() ?? false;
  from.applyToStack(recording as never);
  return recording;
}

/** A plugin adding the recorded entries to a real stack, each with the middleware `swap` picks. */
function replay(
  recording: Recording,
  swap: (entry: Entry, index: number) => Middleware = (e) => e.middleware,
) {
  return {
    applyToStack(stack: Stack) {
      recording.entries.forEach((entry, index) => {
        const middleware = swap(entry, index);
        const options = { ...entry.options, middleware };
        if (entry.relative) stack.addRelativeTo(middleware as never, options as never);
        else stack.add(middleware as never, options as never);
      });
      if (recording.identify) stack.identifyOnResolve(true);
    },
    identifyOnResolve: () => recording.identify,
  };
}

export interface MiddlewareOrderOptions {
  /** A new, empty stack of the client's SDK: the order is always worked out by the SDK's own code. */
  emptyStack(): Stack;
  /** Middlewares a command adds that this client has no use for: left out of the chain, as if they passed the request on. */
  passOver?: ReadonlySet<string>;
}

/**
 * Makes `stack` (a client's `middlewareStack`, which document clients made from the client share)
 * compose each request in an order it remembers.
 */
export function cacheMiddlewareOrder(stack: Stack, options: MiddlewareOrderOptions): void {
  const concatReally = stack.concat.bind(stack);
  const passOver = options.passOver ?? new Set<string>();
  let own: Recording | undefined;
  const orders = new Map<string, number[] | null>();
  for (const method of [
    'add',
    'addRelativeTo',
    'remove',
    'removeByTag',
    'use',
    'identifyOnResolve',
  ] as const) {
    const really = (stack[method] as (...args: unknown[]) => unknown).bind(stack);
    (stack as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      // identifyOnResolve() without an argument only reads.
      if (method !== 'identifyOnResolve' || args.length > 0) {
        own = undefined;
        orders.clear();
      }
      return really(...args);
    };
  }
  const ownRecording = () => {
    own ??= record(stack);
    return own;
  };

  /**
   * Where each middleware goes, as indexes into the client's entries followed by each part's;
   * null if the SDK's code refuses the stack (a relation to a middleware not there), so that the
   * real stack throws its own error.
   */
  const orderOf = (parts: Recording[]): number[] | null => {
    const key = parts.map((part) => part.signature()).join('#');
    const known = orders.get(key);
    if (known !== undefined) return known;
    const order: number[] = [];
    let offset = 0;
    const markers = (recording: Recording) => {
      const first = offset;
      offset += recording.entries.length;
      return replay(recording, (_entry, index) => (next) => {
        order.push(first + index);
        return next;
      });
    };
    let found: number[] | null;
    try {
      let built = options.emptyStack();
      built.use(markers(ownRecording()) as never);
      for (const part of parts) built = built.concat(markers(part) as never);
      built.resolve((() => {}) as never, {} as never);
      // resolve wraps the innermost middleware first.
      found = order.reverse();
    } catch {
      found = null;
    }
    if (orders.size >= MAX_ORDERS) orders.clear();
    orders.set(key, found);
    return found;
  };

  /** The stack `concat` returns: the client's stack and the parts recorded, made real only if asked for more than a resolve. */
  class Concatenated {
    #real: Stack | undefined;
    constructor(readonly parts: Recording[]) {}
    /** The stack a real concat would have made: the client's as it is now, then each part as recorded. */
    real(): Stack {
      if (!this.#real) {
        const [first, ...rest] = this.parts as [Recording, ...Recording[]];
        let real = concatReally(replay(first) as never);
        for (const part of rest) real = real.concat(replay(part) as never);
        this.#real = real;
      }
      return this.#real;
    }
    concat(from: never) {
      if (this.#real) return this.#real.concat(from);
      return concatOf(this.parts, from, () => this.real().concat(from));
    }
    resolve(handler: never, context: never) {
      if (this.#real || stack.identifyOnResolve() || this.parts.some((part) => part.identify))
        return this.real().resolve(handler, context);
      const order = orderOf(this.parts);
      if (!order) return this.real().resolve(handler, context);
      const entries = ownRecording().entries.concat(...this.parts.map((part) => part.entries));
      let composed: unknown = handler;
      for (let i = order.length - 1; i >= 0; i -= 1) {
        const entry = entries[order[i] as number] as Entry;
        if (!passOver.has(entry.options.name as string)) composed = entry.middleware(composed, context);
      }
      return composed as never;
    }
    add(...args: unknown[]) {
      return (this.real().add as (...a: unknown[]) => unknown)(...args);
    }
    addRelativeTo(...args: unknown[]) {
      return (this.real().addRelativeTo as (...a: unknown[]) => unknown)(...args);
    }
    clone() {
      return this.real().clone();
    }
    use(plugin: never) {
      return this.real().use(plugin);
    }
    remove(toRemove: never) {
      return this.real().remove(toRemove);
    }
    removeByTag(tag: string) {
      return this.real().removeByTag(tag);
    }
    applyToStack(to: never) {
      return this.real().applyToStack(to);
    }
    identify() {
      return this.real().identify();
    }
    identifyOnResolve(toggle?: boolean) {
      return this.real().identifyOnResolve(toggle as boolean);
    }
  }

  const concatOf = (parts: Recording[], from: never, really: () => Stack): Stack => {
    let recording: Recording;
    try {
      recording = record(from);
    } catch {
      // A plugin that does more than add entries: a real stack takes it.
      return really();
    }
    return new Concatenated([...parts, recording]) as unknown as Stack;
  };

  stack.concat = ((from: never) => concatOf([], from, () => concatReally(from))) as Stack['concat'];
}
