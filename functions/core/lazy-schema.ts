/**
 * A schema built on its first use instead of at import. zod 4 builds every `z.object(...)` when its
 * module loads, and a Lambda bundle holds one module per concern: each function built the schemas
 * of every record it could read, most of which it never parses, and that was about a third of what
 * aios adds to a cold import (bench section a). What `build` returns is what every use sees: the
 * value behaves as the schema itself (parse, extend, shape, nesting in another schema,
 * `instanceof`), built once, when anything first touches it.
 *
 * Only for module-level schemas that are not used while their module loads: one used there (nested
 * in an eagerly built schema, say) is simply built then, as before.
 */
export function lazySchema<T extends object>(build: () => T): T {
  let built: T | undefined;
  const schema = () => {
    built ??= build();
    return built;
  };
  // The proxy's own target is never the schema; every trap answers from the built one. What it
  // reports as an own property is reported configurable, as the target (which lacks it) requires.
  return new Proxy(Object.create(null) as T, {
    get: (_, key) => Reflect.get(schema(), key),
    set: (_, key, value) => Reflect.set(schema(), key, value),
    has: (_, key) => Reflect.has(schema(), key),
    ownKeys: () => Reflect.ownKeys(schema()),
    getOwnPropertyDescriptor: (_, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(schema(), key);
      return descriptor && { ...descriptor, configurable: true };
    },
    defineProperty: (_, key, descriptor) => Reflect.defineProperty(schema(), key, descriptor),
    deleteProperty: (_, key) => Reflect.deleteProperty(schema(), key),
    getPrototypeOf: () => Reflect.getPrototypeOf(schema()),
  });
}
