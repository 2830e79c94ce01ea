package io.funnel.ffi;

/**
 * The outcome of one native call: {@link Status#OK}, {@link Status#REFUSED} by the kernel with an {@code errno}, or
 * {@link Status#UNSUPPORTED} on this platform. A refusal (a memlock limit, a missing permission, transparent huge pages
 * compiled out) is a warning to log once, not a failure: Funnel runs the same without the native effect.
 *
 * <p>Threading: immutable.
 *
 * @param status what happened
 * @param errno the C {@code errno} for {@link Status#REFUSED}, 0 otherwise
 * @param message a line for a log: the call, and the errno name and text or why it is unsupported
 */
public record NativeResult(Status status, int errno, String message) {
    /** The kinds of outcome. */
    public enum Status {
        /** The call succeeded. */
        OK,
        /** The kernel refused the call; {@link NativeResult#errno()} says why. */
        REFUSED,
        /** The call is not available here (another OS, a missing symbol, a heap segment, a virtual thread). */
        UNSUPPORTED
    }

    /** True when {@link #status()} is {@link Status#OK}. */
    public boolean isOk() {
        return status == Status.OK;
    }

    static NativeResult ok(final String call) {
        return new NativeResult(Status.OK, 0, call + ": ok");
    }

    static NativeResult refused(final String call, final int errno) {
        return new NativeResult(Status.REFUSED, errno, call + " refused: " + Libc.describe(errno));
    }

    static NativeResult unsupported(final String call, final String why) {
        return new NativeResult(Status.UNSUPPORTED, 0, call + " unsupported: " + why);
    }
}
