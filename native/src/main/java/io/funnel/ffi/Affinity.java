package io.funnel.ffi;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.BitSet;

/**
 * Pins the calling thread to a set of CPUs and reads its set back, through FFM downcalls into libc's
 * {@code sched_setaffinity} and {@code sched_getaffinity} (pid 0, that is the calling thread) and {@code sched_getcpu}.
 *
 * <p>Expected outcomes come back as a {@link NativeResult}: {@link NativeResult.Status#REFUSED} with the kernel's errno
 * (for example {@code EINVAL} when a cpuset forbids every CPU asked for), {@link NativeResult.Status#UNSUPPORTED} off
 * Linux, when a symbol is missing or on a virtual thread (whose carrier changes under it). A CPU id outside this
 * process's allowed set is a configuration error and throws {@link IllegalArgumentException} naming the id.
 *
 * <p>Threading: every method acts on, and only on, the calling platform thread; any thread may call them. Not for a
 * hot path: each call allocates a small confined arena.
 */
public final class Affinity {
    private static final String SET = "sched_setaffinity";
    private static final String GET = "sched_getaffinity";
    /** glibc's cpu_set_t: 1024 CPUs. Larger machines get a larger mask, see {@link #readMask}. */
    private static final int DEFAULT_MASK_BYTES = 128;
    private static final int MAX_MASK_BYTES = 128 * 64;
    private static final int EINVAL = 22;

    private static final MethodHandle SCHED_SETAFFINITY = Libc.downcallWithErrno(SET,
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
                    ValueLayout.ADDRESS));
    private static final MethodHandle SCHED_GETAFFINITY = Libc.downcallWithErrno(GET,
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
                    ValueLayout.ADDRESS));
    private static final MethodHandle SCHED_GETCPU = Libc.downcall("sched_getcpu",
            FunctionDescriptor.of(ValueLayout.JAVA_INT));
    private static final MethodHandle GETPID = Libc.downcall("getpid", FunctionDescriptor.of(ValueLayout.JAVA_INT));

    /** The CPUs this process may use, read once from the process's main thread (pid = tid); empty if unknown. */
    private static final BitSet PROCESS_CPUS = readProcessCpus();

    private Affinity() {}

    /** True when both {@code sched_setaffinity} and {@code sched_getaffinity} are bound on this platform. */
    public static boolean isSupported() {
        return SCHED_SETAFFINITY != null && SCHED_GETAFFINITY != null;
    }

    /**
     * The CPUs this process may run on, as the kernel reported them for the process's main thread when this class
     * was initialised (a container's cpuset, {@code taskset}); empty when affinity is unsupported. A fresh copy.
     */
    public static BitSet allowedCpus() {
        return (BitSet) PROCESS_CPUS.clone();
    }

    /**
     * Pins the calling thread to {@code cpus}.
     *
     * @param cpus CPU ids, each in {@link #allowedCpus()} (or in {@code [0, availableProcessors)} when that is unknown)
     * @return OK, REFUSED with errno, or UNSUPPORTED
     * @throws IllegalArgumentException if {@code cpus} is empty or names a CPU this process may not use
     */
    public static NativeResult pinCurrentThread(final int... cpus) {
        final BitSet set = new BitSet();
        for (final int cpu : cpus) {
            if (cpu < 0) {
                throw new IllegalArgumentException("cpu id must be >= 0, got " + cpu);
            }
            set.set(cpu);
        }
        return pinCurrentThread(set);
    }

    /**
     * Pins the calling thread to the CPUs set in {@code cpus}.
     *
     * @param cpus CPU ids, each in {@link #allowedCpus()} (or in {@code [0, availableProcessors)} when that is unknown)
     * @return OK, REFUSED with errno, or UNSUPPORTED
     * @throws IllegalArgumentException if {@code cpus} is empty or names a CPU this process may not use
     */
    public static NativeResult pinCurrentThread(final BitSet cpus) {
        validate(cpus);
        if (!isSupported()) {
            return NativeResult.unsupported(SET, unsupportedReason(SET));
        }
        if (Thread.currentThread().isVirtual()) {
            return NativeResult.unsupported(SET, "the calling thread is virtual; pin its carrier threads instead");
        }
        final long[] words = cpus.toLongArray();
        final int maskBytes = Math.max(DEFAULT_MASK_BYTES, words.length * Long.BYTES);
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment mask = arena.allocate(maskBytes, Long.BYTES);
            MemorySegment.copy(words, 0, mask, ValueLayout.JAVA_LONG, 0, words.length);
            final MemorySegment state = arena.allocate(Libc.callStateLayout());
            final int rc = (int) SCHED_SETAFFINITY.invokeExact(state, 0, (long) maskBytes, mask);
            return rc == 0 ? NativeResult.ok(SET + " " + cpus) : NativeResult.refused(SET + " " + cpus,
                    Libc.errno(state));
        } catch (final Throwable t) {
            return NativeResult.unsupported(SET, "downcall failed: " + t);
        }
    }

    /**
     * Reads the calling thread's CPU set into {@code into} (cleared first). On a result other than OK, {@code into}
     * is left empty.
     *
     * @param into receives the CPU ids; reused by the caller to avoid garbage
     * @return OK, REFUSED with errno, or UNSUPPORTED
     */
    public static NativeResult readCurrentThread(final BitSet into) {
        into.clear();
        if (SCHED_GETAFFINITY == null) {
            return NativeResult.unsupported(GET, unsupportedReason(GET));
        }
        return readMask(0, into);
    }

    /** The CPU the calling thread is running on now ({@code sched_getcpu}), or -1 when that is unsupported. */
    public static int currentCpu() {
        if (SCHED_GETCPU == null) {
            return -1;
        }
        try {
            return (int) SCHED_GETCPU.invokeExact();
        } catch (final Throwable t) {
            return -1;
        }
    }

    // Grows the mask while the kernel answers EINVAL: it has more possible CPUs than the mask holds.
    private static NativeResult readMask(final int pid, final BitSet into) {
        for (int maskBytes = DEFAULT_MASK_BYTES; ; maskBytes *= 2) {
            try (Arena arena = Arena.ofConfined()) {
                final MemorySegment mask = arena.allocate(maskBytes, Long.BYTES);
                final MemorySegment state = arena.allocate(Libc.callStateLayout());
                final int rc = (int) SCHED_GETAFFINITY.invokeExact(state, pid, (long) maskBytes, mask);
                if (rc >= 0) {
                    into.or(BitSet.valueOf(mask.toArray(ValueLayout.JAVA_LONG)));
                    return NativeResult.ok(GET + " " + into);
                }
                final int errno = Libc.errno(state);
                if (errno != EINVAL || maskBytes >= MAX_MASK_BYTES) {
                    return NativeResult.refused(GET, errno);
                }
            } catch (final Throwable t) {
                return NativeResult.unsupported(GET, "downcall failed: " + t);
            }
        }
    }

    private static void validate(final BitSet cpus) {
        if (cpus.isEmpty()) {
            throw new IllegalArgumentException("cpus must name at least one CPU, got an empty set");
        }
        final int processors = Runtime.getRuntime().availableProcessors();
        for (int cpu = cpus.nextSetBit(0); cpu >= 0; cpu = cpus.nextSetBit(cpu + 1)) {
            final boolean allowed = PROCESS_CPUS.isEmpty() ? cpu < processors : PROCESS_CPUS.get(cpu);
            if (!allowed) {
                throw new IllegalArgumentException("cpu " + cpu + " is not one this process may use: allowed "
                        + (PROCESS_CPUS.isEmpty() ? "[0, " + processors + ")" : PROCESS_CPUS.toString())
                        + ", availableProcessors=" + processors);
            }
        }
    }

    private static String unsupportedReason(final String call) {
        return Libc.UNSUPPORTED_REASON != null ? Libc.UNSUPPORTED_REASON : "libc has no " + call;
    }

    private static BitSet readProcessCpus() {
        final BitSet cpus = new BitSet();
        if (SCHED_GETAFFINITY == null || GETPID == null) {
            return cpus;
        }
        try {
            final int pid = (int) GETPID.invokeExact();
            if (!readMask(pid, cpus).isOk()) {
                cpus.clear();
            }
        } catch (final Throwable t) {
            cpus.clear();
        }
        return cpus;
    }
}
