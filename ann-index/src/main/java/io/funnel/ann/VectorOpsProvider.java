package io.funnel.ann;

import java.util.Locale;

/** Chooses the {@link VectorOps} implementation once, in its static initialiser. */
final class VectorOpsProvider {
    static final VectorOps INSTANCE = choose(System.getProperty(VectorOps.PROPERTY, "auto"));

    private VectorOpsProvider() {}

    static VectorOps choose(final String setting) {
        final String value = setting.trim().toLowerCase(Locale.ROOT);
        final boolean vectorModule = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        return switch (value) {
            case "scalar" -> new ScalarVectorOps();
            case "panama" -> {
                if (!vectorModule) {
                    throw new IllegalStateException(VectorOps.PROPERTY + "=panama but module jdk.incubator.vector is"
                            + " not in the boot layer: add --add-modules=jdk.incubator.vector (config/jvm.options)");
                }
                yield loadPanama();
            }
            case "native" -> new NativeVectorOps();
            case "auto", "" -> vectorModule ? loadPanama() : new ScalarVectorOps();
            default -> throw new IllegalStateException(
                    VectorOps.PROPERTY + " must be auto, panama, scalar or native, got '" + setting + "'");
        };
    }

    // Loaded by name so that this class links without the incubator module.
    private static VectorOps loadPanama() {
        try {
            return (VectorOps) Class.forName("io.funnel.ann.PanamaVectorOps")
                    .getDeclaredConstructor()
                    .newInstance();
        } catch (final ReflectiveOperationException | LinkageError e) {
            throw new IllegalStateException("cannot load the Vector API kernels: " + e, e);
        }
    }
}
