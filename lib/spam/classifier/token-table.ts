// A model's per-feature counts in memory: an open-addressing hash table
// over typed arrays (feature hash → spam, ham). A JS Map of a million
// 52-bit keys would box every key and every count pair and keep the
// garbage collector busy; these arrays are three allocations however big
// the model is, and a lookup is a few array reads.
import type { TokenCounts } from "./combine.ts";

const EMPTY = 0; // feature hashes are never 0 (tokenize.ts MESSAGE_COUNT_TOKEN)
const TWO_32 = 4294967296;

export class TokenTable {
  private keys: Float64Array;
  private spam: Int32Array;
  private ham: Int32Array;
  private mask: number;
  size = 0;

  constructor(expected = 0) {
    let capacity = 1024;
    while (capacity < expected * 2) capacity *= 2;
    this.keys = new Float64Array(capacity);
    this.spam = new Int32Array(capacity);
    this.ham = new Int32Array(capacity);
    this.mask = capacity - 1;
  }

  /** Slots held, the memory measure (16 bytes each). */
  get capacity(): number {
    return this.keys.length;
  }

  private slot(token: number): number {
    // The low 32 bits of a hash are as random as any (token >>> 0 is token mod 2^32).
    let i = (token >>> 0) & this.mask;
    for (;;) {
      const k = this.keys[i]!;
      if (k === token || k === EMPTY) return i;
      i = (i + 1) & this.mask;
    }
  }

  get(token: number): TokenCounts | undefined {
    const i = this.slot(token);
    return this.keys[i] === EMPTY ? undefined : { spam: this.spam[i]!, ham: this.ham[i]! };
  }

  set(token: number, spam: number, ham: number): void {
    if (token === EMPTY) return;
    let i = this.slot(token);
    if (this.keys[i] === EMPTY) {
      if ((this.size + 1) * 2 > this.keys.length) {
        this.grow();
        i = this.slot(token);
      }
      this.keys[i] = token;
      this.size++;
    }
    this.spam[i] = Math.max(0, spam);
    this.ham[i] = Math.max(0, ham);
  }

  private grow(): void {
    const { keys, spam, ham } = this;
    this.keys = new Float64Array(keys.length * 2);
    this.spam = new Int32Array(keys.length * 2);
    this.ham = new Int32Array(keys.length * 2);
    this.mask = this.keys.length - 1;
    for (let j = 0; j < keys.length; j++) {
      const k = keys[j]!;
      if (k === EMPTY) continue;
      const i = this.slot(k);
      this.keys[i] = k;
      this.spam[i] = spam[j]!;
      this.ham[i] = ham[j]!;
    }
  }

  /**
   * A table from packed rows: per row the feature as a big-endian int8,
   * then spam and ham as big-endian int4 (what Postgres' int8send and
   * int4send write). Rows of one model are each once, so they go straight
   * into their slots.
   */
  static fromPacked(chunks: readonly Buffer[]): TokenTable {
    let rows = 0;
    for (const chunk of chunks) rows += Math.floor(chunk.length / 16);
    const table = new TokenTable(rows);
    const { keys, spam, ham, mask } = table;
    for (const chunk of chunks) {
      for (let o = 0; o + 16 <= chunk.length; o += 16) {
        const token = chunk.readUInt32BE(o) * TWO_32 + chunk.readUInt32BE(o + 4);
        if (token === EMPTY) continue;
        let i = (token >>> 0) & mask;
        while (keys[i] !== EMPTY && keys[i] !== token) i = (i + 1) & mask;
        if (keys[i] === EMPTY) table.size++;
        keys[i] = token;
        spam[i] = Math.max(0, chunk.readInt32BE(o + 8));
        ham[i] = Math.max(0, chunk.readInt32BE(o + 12));
      }
    }
    return table;
  }
}
