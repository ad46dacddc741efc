/**
 * A FIFO with a fixed capacity: pushing onto a full buffer drops the oldest
 * item and counts it, so memory never grows without bound. Items may carry
 * a weight (e.g. data points in a batch) so that drops are counted in the
 * unit that matters.
 * @module
 */

/**
 * A bounded FIFO that drops the oldest.
 *
 * @example Dropping the oldest
 * ```ts
 * const buf = new BoundedBuffer<string>(2);
 * buf.push("a"); buf.push("b"); buf.push("c");
 * buf.shift(); // "b"
 * buf.dropped; // 1
 * ```
 */
export class BoundedBuffer<T> {
  #items: { item: T; weight: number }[] = [];
  #capacity: number;
  #dropped = 0;
  #droppedWeight = 0;
  #weight = 0;

  constructor(capacity: number) {
    this.#capacity = checkCapacity(capacity);
  }

  /** Items it holds at most. */
  get capacity(): number {
    return this.#capacity;
  }

  /** Items held. */
  get size(): number {
    return this.#items.length;
  }

  /** Sum of the weights held. */
  get weight(): number {
    return this.#weight;
  }

  /** Items dropped so far to make room. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Sum of the weights dropped so far. */
  get droppedWeight(): number {
    return this.#droppedWeight;
  }

  /** Appends; returns the items dropped to make room (oldest first). */
  push(item: T, weight = 1): T[] {
    this.#items.push({ item, weight });
    this.#weight += weight;
    return this.#trim();
  }

  /** Puts an item back at the front (a retry that failed again); drops from the front when full. */
  unshift(item: T, weight = 1): T[] {
    this.#items.unshift({ item, weight });
    this.#weight += weight;
    return this.#trim();
  }

  /** Removes and returns the oldest item. */
  shift(): T | undefined {
    const e = this.#items.shift();
    if (e) this.#weight -= e.weight;
    return e?.item;
  }

  /** The oldest item, without removing it. */
  peek(): T | undefined {
    return this.#items[0]?.item;
  }

  /** Changes the capacity (memory pressure shrinks it); drops the oldest when over. */
  resize(capacity: number): T[] {
    this.#capacity = checkCapacity(capacity);
    return this.#trim();
  }

  /** Removes everything (not counted as dropped); returns what it held. */
  clear(): T[] {
    const all = this.#items.map((e) => e.item);
    this.#items = [];
    this.#weight = 0;
    return all;
  }

  /** Removes everything, counted as dropped (given up, e.g. at shutdown); returns what it held. */
  dropAll(): T[] {
    const all = this.#items.map((e) => e.item);
    this.#dropped += this.#items.length;
    this.#droppedWeight += this.#weight;
    this.#items = [];
    this.#weight = 0;
    return all;
  }

  #trim(): T[] {
    const out: T[] = [];
    while (this.#items.length > this.#capacity) {
      const e = this.#items.shift()!;
      this.#weight -= e.weight;
      this.#dropped++;
      this.#droppedWeight += e.weight;
      out.push(e.item);
    }
    return out;
  }
}

function checkCapacity(capacity: number): number {
  if (Number.isSafeInteger(capacity) && capacity >= 0) return capacity;
  throw new RangeError(
    `Cannot size the buffer as 'capacity' must be a non-negative integer: current value is ${capacity}`,
  );
}
