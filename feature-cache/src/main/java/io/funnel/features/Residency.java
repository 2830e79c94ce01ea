package io.funnel.features;

import io.funnel.ffi.Memory;
import io.funnel.ffi.NativeResult;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * Keeps the hot item table resident: {@code madvise(MADV_WILLNEED)} reads it ahead, {@code MADV_HUGEPAGE} asks
 * for transparent huge pages (fewer TLB misses on random row reads), and optionally {@code mlock} pins it. Every
 * refusal is a logged warning, never a failure: the table works the same, only with page faults.
 */
final class Residency {
    private Residency() {}

    static void advise(final MemorySegment mapping, final boolean lock, final Path file) {
        warnIfRefused(Memory.madvise(mapping, Memory.MADV_WILLNEED), file);
        warnIfRefused(Memory.madvise(mapping, Memory.MADV_HUGEPAGE), file);
        if (lock) {
            warnIfRefused(Memory.mlock(mapping), file);
        }
    }

    private static void warnIfRefused(final NativeResult result, final Path file) {
        if (result.status() == NativeResult.Status.REFUSED) {
            System.getLogger(Residency.class.getName()).log(System.Logger.Level.WARNING,
                    file + ": " + result.message() + " (the table works without it)");
        }
    }
}
