// A client-side request rate per cluster, as client-go's token bucket (k8s.io/client-go/util/
// flowcontrol, the QPS and Burst of rest.Config): up to `burst` requests at once, then `qps` a
// second. It keeps a large upgrade (thousands of patches) from flooding an API server that
// serves the users too; the server's own priority and fairness answers 429 beyond that, which
// the shared retry honours. kfup's default is kubectl's order of magnitude, not client-go's
// library default of 5/10, which would make a large upgrade crawl.
export const DEFAULT_QPS = 50;
export const DEFAULT_BURST = 100;

export class RateLimiter {
  private tokens: number;
  private last: number;

  constructor(
    readonly qps: number,
    readonly burst: number,
    now = Date.now(),
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** reserves one request; the ms it must wait before going (0: at once). qps <= 0: no limit */
  reserve(now = Date.now()): number {
    if (this.qps <= 0) return 0;
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.qps) / 1000);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.qps);
  }

  async take(): Promise<void> {
    const ms = this.reserve();
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
  }
}
