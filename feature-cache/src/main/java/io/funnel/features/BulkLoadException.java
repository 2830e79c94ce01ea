package io.funnel.features;

/**
 * A bad line in a bulk-load file. The message names the file, the 1-based line number and the field
 * ({@code items.csv:1234: field 'price': not a number: 'abc'}).
 */
public final class BulkLoadException extends FeatureStoreException {
    private static final long serialVersionUID = 1L;

    private final String file;
    private final long line;
    private final String field;

    /** Creates the error for {@code field} on {@code line} of {@code file}. */
    public BulkLoadException(final String file, final long line, final String field, final String reason) {
        super(file + ":" + line + ": " + (field == null ? "" : "field '" + field + "': ") + reason);
        this.file = file;
        this.line = line;
        this.field = field;
    }

    /** The file being loaded. */
    public String file() {
        return file;
    }

    /** The 1-based line number (the header is line 1 of a CSV file). */
    public long line() {
        return line;
    }

    /** The field at fault, or {@code null} when the whole line is (wrong column count, not JSON). */
    public String field() {
        return field;
    }
}
