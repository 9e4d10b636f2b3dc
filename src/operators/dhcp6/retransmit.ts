// Retransmission timing (RFC 8415 §15), in milliseconds.
//
//   RT for the first message   = IRT + RAND*IRT
//   RT for each retransmission = 2*RTprev + RAND*RTprev
//   if MRT is set and RT > MRT:  RT = MRT + RAND*MRT
//
// RAND is uniform in [-0.1, +0.1], drawn afresh for each RT. For a Solicit the
// first RAND is strictly positive (§15: the first RT must exceed IRT so that
// Advertises can be collected). The exchange fails after MRC transmissions, or
// at the deadline (MRD, kept as an absolute time so a caller can share one
// deadline between a Solicit and the Request that follows it).

export interface RetransmitParams {
  /** Initial retransmission time. */
  irt: number;
  /** Maximum retransmission time; 0: none. */
  mrt: number;
  /** Maximum transmission count; 0: unlimited. */
  mrc: number;
}

/** SOL_TIMEOUT 1 s, SOL_MAX_RT 3600 s (RFC 8415 §7.6). */
export const SOLICIT: RetransmitParams = { irt: 1000, mrt: 3_600_000, mrc: 0 };
/** REQ_TIMEOUT 1 s, REQ_MAX_RT 30 s, REQ_MAX_RC 10. */
export const REQUEST: RetransmitParams = { irt: 1000, mrt: 30_000, mrc: 10 };
/** SOL_MAX_DELAY: the first Solicit on a link waits a random 0–1 s (RFC 8415 §18.2.1). */
export const SOL_MAX_DELAY = 1000;

export class Retransmission {
  private rt = 0;
  private sent = 0;

  /**
   * @param random uniform in [0, 1)
   * @param deadline absolute time (the clock's now()) at which the exchange fails; undefined: never
   * @param positiveFirst the first RAND is in (0, 0.1] (Solicit)
   */
  constructor(
    private readonly params: RetransmitParams,
    private readonly random: () => number,
    private readonly deadline: number | undefined,
    private readonly positiveFirst = false,
  ) {}

  private rand(): number {
    return this.random() * 0.2 - 0.1;
  }

  /**
   * Call when sending (first or again): returns how long to wait for an answer
   * before calling it again, or undefined when the exchange has failed and
   * nothing must be sent.
   */
  next(now: number): number | undefined {
    const { irt, mrt, mrc } = this.params;
    if (mrc > 0 && this.sent >= mrc) return undefined;
    if (this.deadline !== undefined && now >= this.deadline) return undefined;
    if (this.sent === 0) {
      const rand = this.positiveFirst ? 0.1 * (1 - this.random()) : this.rand();
      this.rt = irt + rand * irt;
    } else {
      this.rt = 2 * this.rt + this.rand() * this.rt;
    }
    if (mrt > 0 && this.rt > mrt) this.rt = mrt + this.rand() * mrt;
    this.sent++;
    const wait = Math.round(this.rt);
    return this.deadline === undefined ? wait : Math.min(wait, this.deadline - now);
  }

  /** The last wait next() returned, before any deadline cut (0 before the first). */
  get lastWait(): number {
    return Math.round(this.rt);
  }
}
