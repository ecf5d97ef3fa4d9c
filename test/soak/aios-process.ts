import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FAULT_MARKER, FAULT_WINDOWS, type FaultWindow } from '../../lib/local/faults.ts';

const CLI = fileURLToPath(new URL('../../bin/aios.mjs', import.meta.url));
const READY_LINE = 'aios is running at';
const LINK_LINE = /^approval (\S+) waits: magic link for \S+: (\S+)$/;
/** A start that takes longer is killed and tried again; the soak gives up after a few in a row. */
const START_TIMEOUT_MS = 60_000;
const MAX_FAILED_STARTS = 4;
const TAIL_LINES = 40;

export type ExitKind = 'random' | FaultWindow | 'unexpected' | 'stopped';

export interface ExitRecord {
  generation: number;
  at: number;
  kind: ExitKind;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Whether this life had served requests before it ended. */
  wasReady: boolean;
  /** The last lines the process wrote, for an exit nobody asked for. */
  tail: string[];
}

export interface AiosProcessOptions {
  dataDir: string;
  port: number;
  /** AIOS_FAULTS for the next start; empty for none. */
  faults: string;
  log: (line: string) => void;
}

/**
 * `aios dev` (the process a user runs) in a child process, restarted whenever it dies, on the same
 * data dir and port. Every life is a generation; how each one ended is kept.
 */
export class AiosProcess {
  readonly baseUrl: string;
  readonly exits: ExitRecord[] = [];
  /** Magic links `aios dev` printed, by approval id. */
  readonly links = new Map<string, string>();
  generation = 0;
  /** Set when the runtime cannot be started again; the soak stops and says why. */
  fatal: string | undefined;
  private child: ChildProcess | undefined;
  private ready = false;
  private readyWaiters: (() => void)[] = [];
  private killedByUs = false;
  private stopping = false;
  private faults: string;
  private failedStarts = 0;
  private startTimer: NodeJS.Timeout | undefined;
  private tail: string[] = [];
  private readonly log: WriteStream;

  constructor(private readonly options: AiosProcessOptions) {
    this.baseUrl = `http://127.0.0.1:${options.port}`;
    this.faults = options.faults;
    this.log = createWriteStream(join(options.dataDir, 'soak-aios-dev.log'), { flags: 'a' });
  }

  get isReady(): boolean {
    return this.ready;
  }

  /** The API token `aios dev` wrote to the data dir on its first start. */
  token(): string {
    return readFileSync(join(this.options.dataDir, 'api-token'), 'utf8').trim();
  }

  signingSecret(): string {
    return readFileSync(join(this.options.dataDir, 'slack-signing-secret'), 'utf8').trim();
  }

  setFaults(spec: string) {
    this.faults = spec;
  }

  start() {
    this.generation += 1;
    const generation = this.generation;
    this.ready = false;
    this.killedByUs = false;
    this.tail = [];
    let faultWindow: FaultWindow | undefined;
    const child = spawn(process.execPath, [CLI, 'dev'], {
      env: {
        ...process.env,
        AIOS_DATA_DIR: this.options.dataDir,
        AIOS_PORT: String(this.options.port),
        POWERTOOLS_LOG_LEVEL: 'ERROR',
        ...(this.faults ? { AIOS_FAULTS: this.faults } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.note(
      `--- ${new Date().toISOString()} generation ${generation} (pid ${child.pid}) faults=${this.faults || 'none'}`,
    );
    this.lines(child.stdout, (line) => {
      if (line.startsWith(READY_LINE)) this.markReady();
      const link = LINK_LINE.exec(line);
      if (link?.[1] && link[2]) this.links.set(link[1], link[2]);
    });
    this.lines(child.stderr, (line) => {
      if (!line.startsWith(FAULT_MARKER)) return;
      const window = line.slice(FAULT_MARKER.length).trim();
      faultWindow = FAULT_WINDOWS.find((w) => w === window);
    });
    this.startTimer = setTimeout(() => {
      if (this.child !== child || this.ready) return;
      this.options.log(`aios dev generation ${generation} did not start within ${START_TIMEOUT_MS / 1000} s`);
      this.failedStarts += 1;
      this.kill();
    }, START_TIMEOUT_MS);
    // 'close', not 'exit': the fault marker on stderr must be read before the end is judged.
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(this.startTimer);
      const wasReady = this.ready;
      this.ready = false;
      const kind: ExitKind = this.stopping
        ? 'stopped'
        : (faultWindow ?? (this.killedByUs && signal === 'SIGKILL' ? 'random' : 'unexpected'));
      this.exits.push({ generation, at: Date.now(), kind, code, signal, wasReady, tail: [...this.tail] });
      this.note(
        `--- ${new Date().toISOString()} generation ${generation} ended: ${kind} (code ${code}, signal ${signal})`,
      );
      if (this.stopping) return;
      if (kind === 'unexpected') {
        this.options.log(
          `aios dev generation ${generation} exited by itself (code ${code}, signal ${signal}):\n  ${this.tail.slice(-8).join('\n  ')}`,
        );
        if (!wasReady) this.failedStarts += 1;
      }
      if (this.failedStarts >= MAX_FAILED_STARTS) {
        this.fatal = `aios dev failed to start ${this.failedStarts} times; last output:\n  ${this.tail.slice(-12).join('\n  ')}`;
        this.releaseWaiters();
        return;
      }
      this.start();
    });
  }

  /** Resolves once the current generation serves; false if it does not within `timeoutMs`. */
  whenReady(timeoutMs: number): Promise<boolean> {
    if (this.ready) return Promise.resolve(true);
    if (this.fatal || this.stopping) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(this.ready), timeoutMs);
      this.readyWaiters.push(() => {
        clearTimeout(timer);
        resolve(this.ready);
      });
    });
  }

  /** SIGKILL now, whatever it is doing; it restarts by itself. */
  kill() {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.killedByUs = true;
    this.child.kill('SIGKILL');
  }

  /** The end of the soak: a polite stop, then SIGKILL if it takes too long. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.startTimer);
    this.releaseWaiters();
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await new Promise<void>((resolve) => this.log.end(() => resolve()));
  }

  private markReady() {
    this.ready = true;
    this.failedStarts = 0;
    clearTimeout(this.startTimer);
    this.releaseWaiters();
  }

  private releaseWaiters() {
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const waiter of waiters) waiter();
  }

  private lines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void) {
    let buffer = '';
    stream?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      for (const line of parts) {
        this.tail.push(line);
        if (this.tail.length > TAIL_LINES) this.tail.shift();
        this.note(line);
        onLine(line);
      }
    });
  }

  private note(line: string) {
    this.log.write(`${line}\n`);
  }
}
