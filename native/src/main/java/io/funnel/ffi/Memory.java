package io.funnel.ffi;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Advises the kernel about, and locks in RAM, the pages under a native {@link MemorySegment}: libc's {@code madvise},
 * {@code mlock} and {@code munlock} through FFM downcalls.
 *
 * <p>The address range is widened to whole pages (start rounded down, end rounded up to {@link #pageSize()}), so the
 * call also covers the rest of the first and last page. Every method returns a {@link NativeResult}; a refusal
 * ({@code EPERM}, {@code ENOMEM} over {@code RLIMIT_MEMLOCK}, {@code EINVAL} for an advice the kernel does not know or
 * transparent huge pages compiled out) is a warning, never an exception. A heap segment has no stable address and is
 * {@link NativeResult.Status#UNSUPPORTED}.
 *
 * <p>Threading: stateless; safe from any thread. The segment must stay alive for the call. Not for a hot path: each
 * call allocates a small confined arena for {@code errno}.
 */
public final class Memory {
    /** {@code MADV_WILLNEED}: read the pages ahead, the index is about to be searched. */
    public static final int MADV_WILLNEED = 3;
    /** {@code MADV_HUGEPAGE}: back the range with transparent huge pages where possible. */
    public static final int MADV_HUGEPAGE = 14;

    private static final String MADVISE = "madvise";
    private static final String MLOCK = "mlock";
    private static final String MUNLOCK = "munlock";
    private static final int SC_PAGESIZE = 30;
    private static final long FALLBACK_PAGE_SIZE = 4096;

    private static final FunctionDescriptor ADDR_LEN = FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG);
    private static final MethodHandle MADVISE_HANDLE = Libc.downcallWithErrno(MADVISE,
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_INT));
    private static final MethodHandle MLOCK_HANDLE = Libc.downcallWithErrno(MLOCK, ADDR_LEN);
    private static final MethodHandle MUNLOCK_HANDLE = Libc.downcallWithErrno(MUNLOCK, ADDR_LEN);
    private static final long PAGE_SIZE = readPageSize();

    private Memory() {}

    /** True when {@code madvise}, {@code mlock} and {@code munlock} are all bound on this platform. */
    public static boolean isSupported() {
        return MADVISE_HANDLE != null && MLOCK_HANDLE != null && MUNLOCK_HANDLE != null;
    }

    /** The page size in bytes ({@code sysconf(_SC_PAGESIZE)}), 4096 when it cannot be read. */
    public static long pageSize() {
        return PAGE_SIZE;
    }

    /**
     * {@code madvise} over the pages of {@code segment}.
     *
     * @param advice a {@code MADV_*} value, e.g. {@link #MADV_WILLNEED} or {@link #MADV_HUGEPAGE}; one the kernel does
     *     not know comes back REFUSED with {@code EINVAL}
     * @return OK, REFUSED with errno, or UNSUPPORTED
     */
    public static NativeResult madvise(final MemorySegment segment, final int advice) {
        final String call = MADVISE + "(" + adviceName(advice) + ", " + segment.byteSize() + " bytes)";
        if (MADVISE_HANDLE == null) {
            return NativeResult.unsupported(call, reason(MADVISE));
        }
        if (!segment.isNative()) {
            return NativeResult.unsupported(call, "a heap segment has no stable address");
        }
        final long start = alignDown(segment.address());
        final long length = alignUp(segment.address() + segment.byteSize()) - start;
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment state = arena.allocate(Libc.callStateLayout());
            final int rc = (int) MADVISE_HANDLE.invokeExact(state, MemorySegment.ofAddress(start), length, advice);
            return rc == 0 ? NativeResult.ok(call) : NativeResult.refused(call, Libc.errno(state));
        } catch (final Throwable t) {
            return NativeResult.unsupported(call, "downcall failed: " + t);
        }
    }

    /**
     * {@code mlock}: keeps the pages of {@code segment} in RAM until {@link #munlock} or the memory is freed. Bounded
     * by {@code RLIMIT_MEMLOCK} ({@code ulimit -l}) unless the process has {@code CAP_IPC_LOCK}.
     *
     * @return OK, REFUSED with errno ({@code ENOMEM} or {@code EPERM} over the limit, {@code EAGAIN}), or UNSUPPORTED
     */
    public static NativeResult mlock(final MemorySegment segment) {
        return lockCall(MLOCK_HANDLE, MLOCK, segment);
    }

    /**
     * {@code munlock}: lets the kernel page out the pages of {@code segment} again.
     *
     * @return OK, REFUSED with errno, or UNSUPPORTED
     */
    public static NativeResult munlock(final MemorySegment segment) {
        return lockCall(MUNLOCK_HANDLE, MUNLOCK, segment);
    }

    private static NativeResult lockCall(final MethodHandle handle, final String name, final MemorySegment segment) {
        final String call = name + "(" + segment.byteSize() + " bytes)";
        if (handle == null) {
            return NativeResult.unsupported(call, reason(name));
        }
        if (!segment.isNative()) {
            return NativeResult.unsupported(call, "a heap segment has no stable address");
        }
        final long start = alignDown(segment.address());
        final long length = alignUp(segment.address() + segment.byteSize()) - start;
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment state = arena.allocate(Libc.callStateLayout());
            final int rc = (int) handle.invokeExact(state, MemorySegment.ofAddress(start), length);
            return rc == 0 ? NativeResult.ok(call) : NativeResult.refused(call, Libc.errno(state));
        } catch (final Throwable t) {
            return NativeResult.unsupported(call, "downcall failed: " + t);
        }
    }

    private static String adviceName(final int advice) {
        return switch (advice) {
            case MADV_WILLNEED -> "MADV_WILLNEED";
            case MADV_HUGEPAGE -> "MADV_HUGEPAGE";
            default -> "advice " + advice;
        };
    }

    private static long alignDown(final long address) {
        return address & -PAGE_SIZE;
    }

    private static long alignUp(final long address) {
        return (address + PAGE_SIZE - 1) & -PAGE_SIZE;
    }

    private static String reason(final String call) {
        return Libc.UNSUPPORTED_REASON != null ? Libc.UNSUPPORTED_REASON : "libc has no " + call;
    }

    private static long readPageSize() {
        final MethodHandle sysconf = Libc.downcall("sysconf",
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
        if (sysconf == null) {
            return FALLBACK_PAGE_SIZE;
        }
        try {
            final long size = (long) sysconf.invokeExact(SC_PAGESIZE);
            // A page size is a power of two; anything else would break the alignment arithmetic.
            return size > 0 && Long.bitCount(size) == 1 ? size : FALLBACK_PAGE_SIZE;
        } catch (final Throwable t) {
            return FALLBACK_PAGE_SIZE;
        }
    }
}
