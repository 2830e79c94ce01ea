package io.funnel.ffi;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Locale;

/**
 * Plumbing shared by the libc bindings: the linker, symbol lookup that answers {@code null} instead of throwing,
 * {@code errno} capture and errno names. Only 64-bit Linux is bound; elsewhere every handle is {@code null}.
 *
 * <p>Threading: immutable after class initialisation; safe from any thread.
 */
final class Libc {
    /** True on 64-bit Linux, the only platform whose libc layouts (pid_t int, size_t long) are bound here. */
    static final boolean LINUX_64 = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")
            && ValueLayout.ADDRESS.byteSize() == 8;

    /** Why the bindings are off, or {@code null} when they are on. */
    static final String UNSUPPORTED_REASON;

    private static final Linker LINKER;
    private static final SymbolLookup LOOKUP;
    private static final StructLayout CAPTURE_LAYOUT;
    private static final VarHandle ERRNO;
    private static final MethodHandle STRERROR;

    static {
        Linker linker = null;
        SymbolLookup lookup = null;
        StructLayout captureLayout = null;
        VarHandle errno = null;
        String reason = null;
        if (!LINUX_64) {
            reason = "not 64-bit Linux (os.name=" + System.getProperty("os.name") + ", arch="
                    + System.getProperty("os.arch") + ")";
        } else {
            try {
                linker = Linker.nativeLinker();
                lookup = linker.defaultLookup();
                captureLayout = Linker.Option.captureStateLayout();
                errno = captureLayout.varHandle(MemoryLayout.PathElement.groupElement("errno"));
            } catch (final RuntimeException | LinkageError e) {
                reason = "the FFM linker is not usable: " + e;
                linker = null;
            }
        }
        LINKER = linker;
        LOOKUP = lookup;
        CAPTURE_LAYOUT = captureLayout;
        ERRNO = errno;
        UNSUPPORTED_REASON = reason;
        STRERROR = downcall("strerror", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    }

    private Libc() {}

    /** A downcall handle for libc function {@code name}, or {@code null} if it is missing or FFM is unusable. */
    static MethodHandle downcall(final String name, final FunctionDescriptor descriptor) {
        return link(name, descriptor, false);
    }

    /**
     * A downcall handle whose first parameter is a capture segment ({@link #allocateCallState}) that receives
     * {@code errno}, or {@code null} if the symbol is missing or FFM is unusable.
     */
    static MethodHandle downcallWithErrno(final String name, final FunctionDescriptor descriptor) {
        return link(name, descriptor, true);
    }

    @SuppressWarnings("restricted") // binding libc is this class's purpose; the JVM flag is in config/jvm.options
    private static MethodHandle link(final String name, final FunctionDescriptor descriptor, final boolean errno) {
        if (LINKER == null) {
            return null;
        }
        try {
            final MemorySegment symbol = LOOKUP.find(name).orElse(null);
            if (symbol == null) {
                return null;
            }
            return errno
                    ? LINKER.downcallHandle(symbol, descriptor, Linker.Option.captureCallState("errno"))
                    : LINKER.downcallHandle(symbol, descriptor);
        } catch (final RuntimeException e) {
            // IllegalCallerException when native access is denied (--illegal-native-access=deny without
            // --enable-native-access): the binding is simply unavailable.
            return null;
        }
    }

    /** The layout of the segment a {@link #downcallWithErrno} handle writes {@code errno} into. */
    static StructLayout callStateLayout() {
        return CAPTURE_LAYOUT;
    }

    /** The {@code errno} a call wrote into {@code callState}. */
    static int errno(final MemorySegment callState) {
        return (int) ERRNO.get(callState, 0L);
    }

    /** "EPERM (Operation not permitted)": the Linux name of {@code errno} and libc's text for it. */
    static String describe(final int errno) {
        final String name = switch (errno) {
            case 1 -> "EPERM";
            case 3 -> "ESRCH";
            case 4 -> "EINTR";
            case 11 -> "EAGAIN";
            case 12 -> "ENOMEM";
            case 13 -> "EACCES";
            case 14 -> "EFAULT";
            case 16 -> "EBUSY";
            case 22 -> "EINVAL";
            case 38 -> "ENOSYS";
            default -> "errno " + errno;
        };
        return name + " (" + strerror(errno) + ")";
    }

    @SuppressWarnings("restricted") // strerror returns a zero-length segment; its text is under 256 bytes
    private static String strerror(final int errno) {
        if (STRERROR == null) {
            return "no strerror";
        }
        try {
            final MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
            return text.equals(MemorySegment.NULL) ? "unknown" : text.reinterpret(256).getString(0);
        } catch (final Throwable t) {
            return "strerror failed: " + t;
        }
    }
}
