package io.funnel.features;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.funnel.features.FeatureSchema.Entity;
import io.funnel.features.FeatureSchema.Feature;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Loads item or user rows from CSV or JSON Lines into a {@link ChronicleFeatureStore} through its writer, with a
 * progress bar on stderr. The format is documented in the module README:
 *
 * <ul>
 *   <li>CSV ({@code .csv}): a header line, first column {@code item_id} (or {@code user_id}), then any of the entity's
 *       schema features by name, in any order; absent features keep their current value or default. Vectors and id
 *       lists are one field with components separated by spaces, {@code ;} or {@code |} (or commas inside double
 *       quotes). {@code in_stock} accepts {@code true/false/1/0}; timestamps accept epoch ms or ISO-8601 instants.
 *       For users, {@code recent_items} lists item ids, oldest first.
 *   <li>JSON Lines ({@code .jsonl}, {@code .ndjson}): one object per line with the same keys; vectors and lists are
 *       JSON arrays. Blank lines are skipped.
 * </ul>
 *
 * <p>A bad line raises a {@link BulkLoadException} naming file, line and field. With {@code maxErrors(n)} the loader
 * instead skips up to {@code n} bad lines, reporting each on the error stream and in the {@link Report}, and fails on
 * the next one: a million-row load never stops or drops lines silently.
 *
 * <p>Threading: drives the store's single writer; run it before the event applier starts, or on its thread.
 */
public final class FeatureBulkLoader {
    /** What a load did. */
    public record Report(String file, long rowsLoaded, long rowsRejected, List<String> errors, long elapsedNanos) {}

    private final ChronicleFeatureStore store;
    private final Entity entity;
    private final long maxErrors;
    private final boolean progress;
    private final PrintStream errors;
    private final RowLayout layout;
    private final ObjectMapper json = new ObjectMapper();

    private FeatureBulkLoader(final Builder b) {
        this.store = b.store;
        this.entity = b.entity;
        this.maxErrors = b.maxErrors;
        this.progress = b.progress;
        this.errors = b.errors;
        this.layout = entity == Entity.ITEM ? store.schema().itemLayout() : store.schema().userLayout();
    }

    /** Starts a loader for {@code store}. */
    public static Builder builder(final ChronicleFeatureStore store) {
        return new Builder(store);
    }

    /** Loads one file, choosing the format by extension. */
    public Report load(final Path file) {
        final String name = file.getFileName().toString();
        final boolean jsonl = name.endsWith(".jsonl") || name.endsWith(".ndjson");
        if (!jsonl && !name.endsWith(".csv")) {
            throw new FeatureStoreException(file + ": unknown format; use .csv, .jsonl or .ndjson");
        }
        final long start = System.nanoTime();
        final long size;
        try {
            size = Files.size(file);
        } catch (final IOException e) {
            throw new FeatureStoreException("cannot read " + file + ": " + e.getMessage(), e);
        }
        final List<String> errs = new ArrayList<>();
        long loaded = 0;
        long rejected = 0;
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8);
                ProgressBar bar = progress ? new ProgressBarBuilder().setTaskName("load " + name)
                        .setInitialMax(Math.max(1, size >> 10)).setUnit(" KiB", 1).setStyle(ProgressBarStyle.ASCII)
                        .setUpdateIntervalMillis(500).build() : null) {
            long lineNo = 0;
            long bytes = 0;
            Column[] columns = null;
            String line;
            while ((line = in.readLine()) != null) {
                lineNo++;
                bytes += line.length() + 1;
                if (bar != null && (lineNo & 1023) == 0) {
                    bar.stepTo(bytes >> 10);
                }
                if (line.isBlank()) {
                    continue;
                }
                if (!jsonl && columns == null) {
                    columns = header(name, line);
                    continue;
                }
                try {
                    if (jsonl) {
                        loadJson(name, lineNo, line);
                    } else {
                        loadCsv(name, lineNo, line, columns);
                    }
                    loaded++;
                } catch (final BulkLoadException e) {
                    rejected++;
                    if (rejected > maxErrors) {
                        throw rejected == 1 ? e : new BulkLoadException(name, lineNo, e.field(), "more than "
                                + maxErrors + " bad lines (this one: " + e.getMessage() + ")");
                    }
                    errs.add(e.getMessage());
                    errors.println("skipped " + e.getMessage());
                }
            }
            if (bar != null) {
                bar.stepTo(size >> 10);
            }
        } catch (final IOException e) {
            throw new FeatureStoreException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return new Report(file.toString(), loaded, rejected, List.copyOf(errs), System.nanoTime() - start);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // CSV

    private record Column(String name, Feature feature, int offset) {}

    private Column[] header(final String file, final String line) {
        final List<String> names = splitCsv(file, 1, line);
        final String idColumn = entity == Entity.ITEM ? "item_id" : "user_id";
        if (names.isEmpty() || !names.get(0).trim().equals(idColumn)) {
            throw new BulkLoadException(file, 1, null, "the header must start with " + idColumn + ", got '"
                    + (names.isEmpty() ? "" : names.get(0)) + "'");
        }
        final Column[] cols = new Column[names.size()];
        for (int i = 1; i < names.size(); i++) {
            final String n = names.get(i).trim();
            final Feature f = layout.feature(n);
            if (f == null) {
                throw new BulkLoadException(file, 1, n, "not a " + entity.yamlName() + " feature of the schema "
                        + layout.features().stream().map(Feature::name).toList());
            }
            cols[i] = new Column(n, f, layout.offset(n));
        }
        return cols;
    }

    private void loadCsv(final String file, final long lineNo, final String line, final Column[] cols) {
        final List<String> fields = splitCsv(file, lineNo, line);
        if (fields.size() != cols.length) {
            throw new BulkLoadException(file, lineNo, null, "expected " + cols.length + " fields as in the header, got "
                    + fields.size());
        }
        final long id = parseLong(file, lineNo, entity == Entity.ITEM ? "item_id" : "user_id", fields.get(0).trim());
        final Stager st = stage(id);
        for (int i = 1; i < cols.length; i++) {
            final String raw = fields.get(i).trim();
            if (raw.isEmpty()) {
                continue; // keep current value or default
            }
            final Column c = cols[i];
            final Feature f = c.feature();
            switch (f.type()) {
                case FLOAT -> st.putFloat(c.offset(), (float) parseDouble(file, lineNo, c.name(), raw));
                case INT, CATEGORY -> st.putInt(c.offset(), f.name().equals(FeatureSchema.IN_STOCK)
                        ? parseBool(file, lineNo, c.name(), raw)
                        : parseInt(file, lineNo, c.name(), raw));
                case LONG -> st.putLong(c.offset(), parseLong(file, lineNo, c.name(), raw));
                case TIMESTAMP -> st.putLong(c.offset(), parseTimestamp(file, lineNo, c.name(), raw));
                case FLOAT_VECTOR -> {
                    final String[] parts = raw.split("[\\s;|,]+");
                    if (parts.length != f.width()) {
                        throw new BulkLoadException(file, lineNo, c.name(), "expected " + f.width()
                                + " components, got " + parts.length);
                    }
                    for (int k = 0; k < parts.length; k++) {
                        st.putFloat(c.offset() + 4 * k, (float) parseDouble(file, lineNo, c.name(), parts[k]));
                    }
                }
                case ID_LIST -> {
                    final String[] parts = raw.split("[\\s;|,]+");
                    final long[] ids = new long[parts.length];
                    for (int k = 0; k < parts.length; k++) {
                        ids[k] = parseLong(file, lineNo, c.name(), parts[k]);
                    }
                    st.putIds(file, lineNo, f, c.offset(), ids);
                }
            }
        }
        st.commit();
    }

    /** Splits one CSV line (RFC 4180 quoting within the line). */
    static List<String> splitCsv(final String file, final long lineNo, final String line) {
        final List<String> out = new ArrayList<>();
        final StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            final char ch = line.charAt(i);
            if (quoted) {
                if (ch == '"') {
                    if (i + 1 < line.length() && line.charAt(i + 1) == '"') {
                        cur.append('"');
                        i++;
                    } else {
                        quoted = false;
                    }
                } else {
                    cur.append(ch);
                }
            } else if (ch == '"') {
                quoted = true;
            } else if (ch == ',') {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(ch);
            }
        }
        if (quoted) {
            throw new BulkLoadException(file, lineNo, null, "unterminated quoted field");
        }
        out.add(cur.toString());
        return out;
    }

    // ----------------------------------------------------------------------------------------------------------------
    // JSON Lines

    private void loadJson(final String file, final long lineNo, final String line) {
        final JsonNode n;
        try {
            n = json.readTree(line);
        } catch (final IOException e) {
            throw new BulkLoadException(file, lineNo, null, "not a JSON object: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (n == null || !n.isObject()) {
            throw new BulkLoadException(file, lineNo, null, "not a JSON object");
        }
        final String idKey = entity == Entity.ITEM ? "item_id" : "user_id";
        final JsonNode idNode = n.get(idKey);
        if (idNode == null || !idNode.canConvertToLong() || !idNode.isIntegralNumber()) {
            throw new BulkLoadException(file, lineNo, idKey, "missing or not an integer: " + idNode);
        }
        final Stager st = stage(idNode.longValue());
        for (final Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            final String key = it.next();
            if (key.equals(idKey)) {
                continue;
            }
            final Feature f = layout.feature(key);
            if (f == null) {
                throw new BulkLoadException(file, lineNo, key, "not a " + entity.yamlName() + " feature of the schema");
            }
            final JsonNode v = n.get(key);
            if (v.isNull()) {
                continue;
            }
            final int off = layout.offset(key);
            switch (f.type()) {
                case FLOAT -> st.putFloat(off, (float) number(file, lineNo, key, v));
                case INT, CATEGORY -> {
                    if (key.equals(FeatureSchema.IN_STOCK) && v.isBoolean()) {
                        st.putInt(off, v.booleanValue() ? 1 : 0);
                    } else {
                        st.putInt(off, Math.toIntExact(integer(file, lineNo, key, v, Integer.MIN_VALUE,
                                Integer.MAX_VALUE)));
                    }
                }
                case LONG -> st.putLong(off, integer(file, lineNo, key, v, Long.MIN_VALUE, Long.MAX_VALUE));
                case TIMESTAMP -> st.putLong(off, v.isTextual() ? parseTimestamp(file, lineNo, key, v.asText())
                        : integer(file, lineNo, key, v, Long.MIN_VALUE, Long.MAX_VALUE));
                case FLOAT_VECTOR -> {
                    if (!v.isArray() || v.size() != f.width()) {
                        throw new BulkLoadException(file, lineNo, key, "expected an array of " + f.width()
                                + " numbers, got " + (v.isArray() ? v.size() + " elements" : v.getNodeType()));
                    }
                    for (int k = 0; k < v.size(); k++) {
                        st.putFloat(off + 4 * k, (float) number(file, lineNo, key, v.get(k)));
                    }
                }
                case ID_LIST -> {
                    if (!v.isArray()) {
                        throw new BulkLoadException(file, lineNo, key, "expected an array of ids");
                    }
                    final long[] ids = new long[v.size()];
                    for (int k = 0; k < ids.length; k++) {
                        ids[k] = integer(file, lineNo, key, v.get(k), Long.MIN_VALUE, Long.MAX_VALUE);
                    }
                    st.putIds(file, lineNo, f, off, ids);
                }
            }
        }
        st.commit();
    }

    private static double number(final String file, final long line, final String key, final JsonNode v) {
        if (!v.isNumber()) {
            throw new BulkLoadException(file, line, key, "not a number: " + v);
        }
        return v.doubleValue();
    }

    private static long integer(final String file, final long line, final String key, final JsonNode v,
            final long min, final long max) {
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < min || v.longValue() > max) {
            throw new BulkLoadException(file, line, key, "not an integer in " + min + ".." + max + ": " + v);
        }
        return v.longValue();
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Staging: fields are written into the writer's private row copy; nothing is visible before commit().

    private Stager stage(final long id) {
        final ChronicleFeatureWriter w = store.writer();
        return entity == Entity.ITEM ? new Stager(w.stageItem(id), null) : new Stager(null, w.stageUser(id));
    }

    private final class Stager {
        private final ItemRowFlyweight item;
        private final UserRowFlyweight user;

        Stager(final ItemRowFlyweight item, final UserRowFlyweight user) {
            this.item = item;
            this.user = user;
        }

        void putFloat(final int off, final float v) {
            if (item != null) {
                item.putFloat(off, v);
            } else {
                user.putFloat(off, v);
            }
        }

        void putInt(final int off, final int v) {
            if (item != null) {
                item.putInt(off, v);
            } else {
                user.putInt(off, v);
            }
        }

        void putLong(final int off, final long v) {
            if (item != null) {
                item.putLong(off, v);
            } else {
                user.putLong(off, v);
            }
        }

        void putIds(final String file, final long line, final Feature f, final int off, final long[] ids) {
            if (user != null && f.name().equals(FeatureSchema.RECENT_ITEMS)) {
                for (final long itemId : ids) {
                    final int ord = store.ordinalOf(itemId);
                    if (ord < 0) {
                        throw new BulkLoadException(file, line, f.name(), "unknown item id " + itemId
                                + " (load items first)");
                    }
                    user.recordInteraction(ord, 0L, 0f, 1f);
                }
                return;
            }
            if (ids.length > f.width()) {
                throw new BulkLoadException(file, line, f.name(), "at most " + f.width() + " ids, got " + ids.length);
            }
            if (item != null) {
                item.putIdList(off, ids, ids.length);
            } else {
                user.putIdList(off, ids, ids.length);
            }
        }

        void commit() {
            if (item != null) {
                store.writer().commitItem();
            } else {
                store.writer().commitUser();
            }
        }
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Scalars

    private static double parseDouble(final String file, final long line, final String field, final String raw) {
        try {
            final double d = Double.parseDouble(raw);
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                throw new NumberFormatException();
            }
            return d;
        } catch (final NumberFormatException e) {
            throw new BulkLoadException(file, line, field, "not a finite number: '" + raw + "'");
        }
    }

    private static int parseInt(final String file, final long line, final String field, final String raw) {
        try {
            return Integer.parseInt(raw);
        } catch (final NumberFormatException e) {
            throw new BulkLoadException(file, line, field, "not a 32-bit integer: '" + raw + "'");
        }
    }

    private static long parseLong(final String file, final long line, final String field, final String raw) {
        try {
            return Long.parseLong(raw);
        } catch (final NumberFormatException e) {
            throw new BulkLoadException(file, line, field, "not an integer: '" + raw + "'");
        }
    }

    private static int parseBool(final String file, final long line, final String field, final String raw) {
        return switch (raw.toLowerCase(java.util.Locale.ROOT)) {
            case "true", "1", "yes" -> 1;
            case "false", "0", "no" -> 0;
            default -> throw new BulkLoadException(file, line, field, "expected true/false/1/0, got '" + raw + "'");
        };
    }

    private static long parseTimestamp(final String file, final long line, final String field, final String raw) {
        if (raw.indexOf('T') > 0) {
            try {
                return Instant.parse(raw).toEpochMilli();
            } catch (final DateTimeParseException e) {
                throw new BulkLoadException(file, line, field, "not an ISO-8601 instant: '" + raw + "'");
            }
        }
        return parseLong(file, line, field, raw);
    }

    // ----------------------------------------------------------------------------------------------------------------

    /** Configures a {@link FeatureBulkLoader}; validated at {@link #build()}. */
    public static final class Builder {
        private final ChronicleFeatureStore store;
        private Entity entity = Entity.ITEM;
        private long maxErrors;
        private boolean progress = true;
        private PrintStream errors = System.err;

        private Builder(final ChronicleFeatureStore store) {
            this.store = store;
        }

        /** Which rows the files hold; default items. */
        public Builder entity(final Entity e) {
            this.entity = e;
            return this;
        }

        /** How many bad lines to skip (each reported) before failing; default 0 (fail on the first). */
        public Builder maxErrors(final long n) {
            this.maxErrors = n;
            return this;
        }

        /** Whether to draw a progress bar on stderr; default true. */
        public Builder progress(final boolean p) {
            this.progress = p;
            return this;
        }

        /** Where skipped lines are reported; default stderr. */
        public Builder errors(final PrintStream out) {
            this.errors = out;
            return this;
        }

        /** Validates and builds. */
        public FeatureBulkLoader build() {
            if (store == null) {
                throw new IllegalArgumentException("store is required");
            }
            if (entity == null) {
                throw new IllegalArgumentException("entity must be ITEM or USER");
            }
            if (maxErrors < 0) {
                throw new IllegalArgumentException("maxErrors must be >= 0, got " + maxErrors);
            }
            if (errors == null) {
                throw new IllegalArgumentException("errors stream must not be null");
            }
            return new FeatureBulkLoader(this);
        }
    }
}
