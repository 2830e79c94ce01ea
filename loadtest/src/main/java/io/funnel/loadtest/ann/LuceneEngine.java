package io.funnel.loadtest.ann;

import io.funnel.ann.Metric;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene103.Lucene103Codec;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReader;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.AcceptDocs;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.MMapDirectory;

/**
 * Lucene's HNSW ({@code Lucene99HnswVectorsFormat(16, 100)}) in one segment of an {@link MMapDirectory}, searched
 * through {@code LeafReader.searchNearestVectors} with k = beam (Lucene's "fanout"), keeping the best 10. Vector
 * incubator support is on when {@code --add-modules=jdk.incubator.vector} is set (config/jvm.options).
 */
final class LuceneEngine implements AnnEngine {
    private static final String FIELD = "v";
    private final Metric metric;
    private final int maxConn;
    private final int beamWidth;
    private Path dir;
    private MMapDirectory directory;
    private DirectoryReader reader;
    private LeafReader leaf;

    LuceneEngine(final Metric metric, final int maxConn, final int beamWidth) {
        this.metric = metric;
        this.maxConn = maxConn;
        this.beamWidth = beamWidth;
    }

    @Override
    public String name() {
        return "lucene";
    }

    @Override
    public String settings() {
        return "lucene-core 10.3.1 Lucene99HnswVectorsFormat(" + maxConn + ", " + beamWidth
                + "), one segment, MMapDirectory, LeafReader.searchNearestVectors(k=beam), single-threaded indexing";
    }

    @Override
    public void build(final float[][] base, final int threads) throws IOException {
        close(); // a repeated build starts from an empty directory
        dir = Files.createTempDirectory("funnel-bench-lucene");
        directory = new MMapDirectory(dir);
        final KnnVectorsFormat format = new Lucene99HnswVectorsFormat(maxConn, beamWidth);
        final IndexWriterConfig config = new IndexWriterConfig()
                .setCodec(new Lucene103Codec() {
                    @Override
                    public KnnVectorsFormat getKnnVectorsFormatForField(final String field) {
                        return format;
                    }
                })
                .setRAMBufferSizeMB(4096)
                .setMaxBufferedDocs(IndexWriterConfig.DISABLE_AUTO_FLUSH)
                .setUseCompoundFile(false);
        final VectorSimilarityFunction sim = similarity(metric);
        try (IndexWriter writer = new IndexWriter(directory, config)) {
            final KnnFloatVectorField field = new KnnFloatVectorField(FIELD, base[0], sim);
            final Document doc = new Document();
            doc.add(field);
            for (final float[] v : base) {
                field.setVectorValue(v);
                writer.addDocument(doc);
            }
            writer.forceMerge(1);
            writer.commit();
        }
        reader = DirectoryReader.open(directory);
        if (reader.leaves().size() != 1) {
            throw new IllegalStateException("expected one segment, got " + reader.leaves().size());
        }
        leaf = reader.leaves().get(0).reader();
    }

    static VectorSimilarityFunction similarity(final Metric metric) {
        return switch (metric) {
            case L2 -> VectorSimilarityFunction.EUCLIDEAN;
            case INNER_PRODUCT -> VectorSimilarityFunction.MAXIMUM_INNER_PRODUCT;
            case COSINE -> VectorSimilarityFunction.COSINE;
        };
    }

    @Override
    public int search(final float[] query, final int k, final int beam, final int[] out) throws IOException {
        final TopDocs top = leaf.searchNearestVectors(
                FIELD, query, Math.max(k, beam), AcceptDocs.fromLiveDocs(null, leaf.maxDoc()), Integer.MAX_VALUE);
        final ScoreDoc[] docs = top.scoreDocs;
        final int n = Math.min(k, docs.length);
        for (int i = 0; i < n; i++) {
            out[i] = docs[i].doc; // one segment, documents added in order: doc id == ordinal
        }
        return n;
    }

    @Override
    public long memoryBytes() {
        try (Stream<Path> files = Files.list(dir)) {
            return files.mapToLong(p -> p.toFile().length()).sum();
        } catch (final IOException e) {
            return -1;
        }
    }

    @Override
    public void close() throws IOException {
        if (reader != null) {
            reader.close();
            reader = null;
        }
        if (directory != null) {
            directory.close();
            directory = null;
        }
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
            dir = null;
        }
    }
}
