package io.funnel.engine.data;

import io.funnel.engine.FunnelException;
import java.nio.file.Path;

/** A data file that cannot be read: the message names the file, the line and the field. */
public final class DataFileException extends FunnelException {
    private static final long serialVersionUID = 1L;

    public DataFileException(final Path file, final long line, final String field, final String reason) {
        super(file + (line > 0 ? ":" + line : "") + (field != null ? " field '" + field + "'" : "") + ": " + reason);
    }
}
