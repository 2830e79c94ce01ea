package io.funnel.ann;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the shared evaluation data passed to tests as {@code -Dfunnel.shared.data}; never copied into the repo. */
final class SharedData {
    private SharedData() {}

    /** The SIFT10K folder, or {@code null} when it is absent (tests then skip with a message). */
    static Path sift10k() {
        final String root = System.getProperty("funnel.shared.data");
        if (root == null) {
            return null;
        }
        final Path dir = Path.of(root, "sift10k-siftsmall");
        return Files.isRegularFile(dir.resolve("siftsmall_base.fvecs")) ? dir : null;
    }
}
