// A cache with a bound: the least recently used entry goes when it is full. Templates repeat
// (a loop renders the same source for every item), so a few hundred compiled ones catch nearly
// every hit; an unbounded cache kept every one-off template of a large playbook alive (34,000
// tasks, each with its own message, held hundreds of MB of compiled Handlebars).
export class Lru<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly max: number) {}

  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      // a Map iterates in insertion order: re-inserting marks it the most recently used
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as K);
  }

  get size(): number {
    return this.map.size;
  }
}
