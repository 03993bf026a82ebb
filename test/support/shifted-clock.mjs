// Preloaded with `node --import` into the action's process by end-to-end tests, the way libfaketime
// shifts a program's clock: Date reads real time plus INSIGHTS_WATCH_TEST_CLOCK_OFFSET_MS. Timers are
// untouched, so the run takes real time while believing it runs at another moment.
const offset = Number(process.env.INSIGHTS_WATCH_TEST_CLOCK_OFFSET_MS ?? 0)
const RealDate = globalThis.Date

class ShiftedDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(RealDate.now() + offset)
    else super(...args)
  }

  static now() {
    return RealDate.now() + offset
  }
}

globalThis.Date = ShiftedDate
