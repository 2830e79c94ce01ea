package io.funnel.ffi;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Optional AVX2/FMA float32 kernels and an AVX2 int8 dot product written in C ({@code src/main/c/funnel_kernels.c}),
 * loaded through FFM from {@code libfunnelkernels.so}. They keep the Java Vector API kernels honest in benchmarks;
 * nothing depends on them.
 *
 * <p>The library is looked for once, at class initialisation: the file named by {@value #PATH_PROPERTY} if set, else
 * the resource {@value #RESOURCE} that the Maven build compiles with gcc when it can (copied to a temporary file when
 * it sits inside a jar). It is used only on Linux x86-64 when the CPU has AVX2 and FMA. When it is not available,
 * {@link #isAvailable()} is false, {@link #unavailableReason()} says why, and the kernels run a plain Java loop, so
 * callers never fail for want of the library.
 *
 * <p>Segments may be native or heap ({@code MemorySegment.ofArray(float[])}): the downcalls are critical (no thread
 * state transition, heap access allowed), so keep {@code n} to what one call should block for (a few thousand floats).
 * Floats are read in native byte order, unaligned.
 *
 * <p>Threading: stateless; safe from any number of threads. No kernel allocates.
 */
@SuppressWarnings("restricted") // loading and binding a C library is this class's purpose
public final class NativeKernels {
    /** System property naming a {@code libfunnelkernels.so} to load instead of the bundled one. */
    public static final String PATH_PROPERTY = "funnel.nativeKernels.path";
    /** Where the Maven build puts the library on the class path. */
    public static final String RESOURCE = "/native/linux-x86_64/libfunnelkernels.so";

    private static final int ABI_VERSION = 2;
    private static final MethodHandle DOT;
    private static final MethodHandle SQUARED_L2;
    private static final MethodHandle DOT_INT8;
    private static final String UNAVAILABLE_REASON;
    private static final String SOURCE;

    static {
        MethodHandle dot = null;
        MethodHandle squaredL2 = null;
        MethodHandle dotInt8 = null;
        String reason = null;
        String source = null;
        try {
            final Path library = locate();
            source = library.toString();
            final SymbolLookup lookup = SymbolLookup.libraryLookup(library, Arena.global());
            final Linker linker = Linker.nativeLinker();
            final MethodHandle supported = linker.downcallHandle(
                    lookup.findOrThrow("funnel_kernels_supported"), FunctionDescriptor.of(ValueLayout.JAVA_INT));
            final MethodHandle version = linker.downcallHandle(
                    lookup.findOrThrow("funnel_kernels_version"), FunctionDescriptor.of(ValueLayout.JAVA_INT));
            final int abi = (int) version.invokeExact();
            if (abi != ABI_VERSION) {
                throw new Unavailable(library + " has ABI version " + abi + ", this code expects " + ABI_VERSION);
            }
            if ((int) supported.invokeExact() != 1) {
                throw new Unavailable("this CPU lacks AVX2 or FMA");
            }
            final FunctionDescriptor kernel = FunctionDescriptor.of(ValueLayout.JAVA_FLOAT, ValueLayout.ADDRESS,
                    ValueLayout.ADDRESS, ValueLayout.JAVA_INT);
            dot = linker.downcallHandle(lookup.findOrThrow("funnel_dot_f32"), kernel, Linker.Option.critical(true));
            squaredL2 = linker.downcallHandle(lookup.findOrThrow("funnel_squared_l2_f32"), kernel,
                    Linker.Option.critical(true));
            dotInt8 = linker.downcallHandle(lookup.findOrThrow("funnel_dot_i8"), FunctionDescriptor.of(
                    ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
                    Linker.Option.critical(true));
        } catch (final Unavailable e) {
            reason = e.getMessage();
        } catch (final Throwable t) {
            // A missing or broken library, a missing symbol, native access denied: all mean "use Java".
            reason = "cannot load " + (source != null ? source : "the library") + ": " + t;
            dot = null;
            squaredL2 = null;
            dotInt8 = null;
        }
        DOT = reason == null ? dot : null;
        SQUARED_L2 = reason == null ? squaredL2 : null;
        DOT_INT8 = reason == null ? dotInt8 : null;
        UNAVAILABLE_REASON = reason;
        SOURCE = reason == null ? source : null;
    }

    private NativeKernels() {}

    /** True when the C kernels are loaded and this CPU can run them. */
    public static boolean isAvailable() {
        return DOT != null;
    }

    /** Why the C kernels are not available, or {@code null} when they are. */
    public static String unavailableReason() {
        return UNAVAILABLE_REASON;
    }

    /** The library file the kernels were loaded from, or {@code null} when they are not available. */
    public static String librarySource() {
        return SOURCE;
    }

    /**
     * Dot product of the first {@code n} floats of {@code a} and {@code b}.
     *
     * @throws IllegalArgumentException if {@code n} is negative or a segment holds fewer than {@code n} floats
     */
    public static float dot(final MemorySegment a, final MemorySegment b, final int n) {
        check(a, b, n);
        if (DOT == null) {
            return javaDot(a, b, n);
        }
        try {
            return (float) DOT.invokeExact(a, b, n);
        } catch (final Throwable t) {
            throw new IllegalStateException("funnel_dot_f32 failed for n=" + n + ": " + t, t);
        }
    }

    /**
     * Squared Euclidean distance of the first {@code n} floats of {@code a} and {@code b}.
     *
     * @throws IllegalArgumentException if {@code n} is negative or a segment holds fewer than {@code n} floats
     */
    public static float squaredL2(final MemorySegment a, final MemorySegment b, final int n) {
        check(a, b, n);
        if (SQUARED_L2 == null) {
            return javaSquaredL2(a, b, n);
        }
        try {
            return (float) SQUARED_L2.invokeExact(a, b, n);
        } catch (final Throwable t) {
            throw new IllegalStateException("funnel_squared_l2_f32 failed for n=" + n + ": " + t, t);
        }
    }

    /**
     * Dot product of the first {@code n} signed bytes of {@code a} and {@code b}, wrapping like Java {@code int}
     * arithmetic (no overflow below n = 131072).
     *
     * @throws IllegalArgumentException if {@code n} is negative or a segment holds fewer than {@code n} bytes
     */
    public static int dotInt8(final MemorySegment a, final MemorySegment b, final int n) {
        check(a, b, n, Byte.BYTES);
        if (DOT_INT8 == null) {
            int sum = 0;
            for (int i = 0; i < n; i++) {
                sum += a.get(ValueLayout.JAVA_BYTE, i) * b.get(ValueLayout.JAVA_BYTE, i);
            }
            return sum;
        }
        try {
            return (int) DOT_INT8.invokeExact(a, b, n);
        } catch (final Throwable t) {
            throw new IllegalStateException("funnel_dot_i8 failed for n=" + n + ": " + t, t);
        }
    }

    private static void check(final MemorySegment a, final MemorySegment b, final int n) {
        check(a, b, n, Float.BYTES);
    }

    private static void check(final MemorySegment a, final MemorySegment b, final int n, final int elementBytes) {
        if (n < 0) {
            throw new IllegalArgumentException("n must be >= 0, got " + n);
        }
        final long bytes = (long) n * elementBytes;
        if (a.byteSize() < bytes) {
            throw new IllegalArgumentException(
                    "segment a holds " + a.byteSize() + " bytes, n=" + n + " needs " + bytes);
        }
        if (b.byteSize() < bytes) {
            throw new IllegalArgumentException(
                    "segment b holds " + b.byteSize() + " bytes, n=" + n + " needs " + bytes);
        }
    }

    private static float javaDot(final MemorySegment a, final MemorySegment b, final int n) {
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            final long at = (long) i * Float.BYTES;
            sum += a.get(ValueLayout.JAVA_FLOAT_UNALIGNED, at) * b.get(ValueLayout.JAVA_FLOAT_UNALIGNED, at);
        }
        return sum;
    }

    private static float javaSquaredL2(final MemorySegment a, final MemorySegment b, final int n) {
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            final long at = (long) i * Float.BYTES;
            final float d = a.get(ValueLayout.JAVA_FLOAT_UNALIGNED, at) - b.get(ValueLayout.JAVA_FLOAT_UNALIGNED, at);
            sum += d * d;
        }
        return sum;
    }

    private static Path locate() throws IOException, URISyntaxException, Unavailable {
        final String explicit = System.getProperty(PATH_PROPERTY);
        if (explicit != null && !explicit.isBlank()) {
            final Path path = Path.of(explicit);
            if (!Files.isRegularFile(path)) {
                throw new Unavailable(PATH_PROPERTY + "=" + explicit + " is not a file");
            }
            return path;
        }
        final String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        final String arch = System.getProperty("os.arch", "");
        if (!os.startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            throw new Unavailable("the C kernels are built for Linux x86-64 only, this is " + os + " " + arch);
        }
        final URL url = NativeKernels.class.getResource(RESOURCE);
        if (url == null) {
            throw new Unavailable(RESOURCE + " is not on the class path (built without gcc? see native/README.md)");
        }
        if ("file".equals(url.getProtocol())) {
            return Path.of(url.toURI());
        }
        // Inside a jar: dlopen needs a file.
        final Path copy = Files.createTempFile("libfunnelkernels", ".so");
        copy.toFile().deleteOnExit();
        try (InputStream in = url.openStream()) {
            Files.copy(in, copy, StandardCopyOption.REPLACE_EXISTING);
        }
        return copy;
    }

    /** An expected reason not to load the library; carries only its message. */
    private static final class Unavailable extends Exception {
        private static final long serialVersionUID = 1L;

        Unavailable(final String message) {
            super(message, null, false, false);
        }
    }
}
