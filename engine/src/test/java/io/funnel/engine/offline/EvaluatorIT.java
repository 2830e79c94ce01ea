package io.funnel.engine.offline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.funnel.engine.config.FunnelConfig;
import io.funnel.engine.data.Dataset;
import io.funnel.engine.data.DatasetFormat;
import io.funnel.engine.data.DatasetReader;
import io.funnel.engine.data.SyntheticGenerator;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Offline evaluation end to end: split, build, train the ranker, recommend, score. */
class EvaluatorIT {
    @Test
    void onGeneratedDataTheFunnelBeatsPopularity() {
        final Dataset data = new SyntheticGenerator().items(5_000).users(3_000).events(120_000).seed(21)
                .endMs(1_763_856_000_000L).generate();
        final Evaluator.Report report = new Evaluator(FunnelConfig.defaults(), line -> { }).maxUsers(800)
                .evaluate(data);
        final double funnel = report.row("funnel").ndcgAtK();
        final double popular = report.row("popular").ndcgAtK();
        assertEquals(10, report.row("funnel").listLength());
        assertTrue(funnel > popular, "NDCG@10 funnel " + funnel + " vs popular " + popular + "\n" + report.table());
        assertTrue(report.json().contains("\"funnel\": {\"recall_at_k\""), report.json());
    }

    @Test
    void examplesCollectedOnceServeTheEvaluationToo() {
        final Dataset data = new SyntheticGenerator().items(2_000).users(1_000).events(30_000).seed(5)
                .endMs(1_763_856_000_000L).generate();
        final FunnelConfig config = FunnelConfig.defaults();
        config.channels.ann.buildThreads = 1; // a parallel HNSW build links in thread order: other candidates
        final Dataset train = data.slice(0, (int) (data.size() * 0.8));
        final RankingExamples examples = new ServingStateBuilder(config, line -> { }).examples(train);
        assertEquals(train.size(), examples.sourceEvents());
        final Evaluator.Report fresh = new Evaluator(config, line -> { }).maxUsers(300).evaluate(data);
        final Evaluator.Report reused = new Evaluator(config, line -> { }).maxUsers(300).rankingExamples(examples)
                .evaluate(data);
        for (final Evaluator.Row row : fresh.rows()) {
            assertEquals(row.ndcgAtK(), reused.row(row.method()).ndcgAtK(), row.method());
            assertEquals(row.recallAtK(), reused.row(row.method()).recallAtK(), row.method());
        }
        // Examples from another slice are refused, not silently fitted.
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Evaluator(config, line -> { }).trainFraction(0.7).rankingExamples(examples).evaluate(data));
        assertTrue(e.getMessage().contains("collected from a log of " + train.size() + " events"), e.getMessage());
    }

    @Test
    void movieLensWhenPresent() {
        final Path ml = Path.of(System.getProperty("funnel.shared.data", "../shared/data"), "movielens-ml-100k");
        Assumptions.assumeTrue(Files.exists(ml.resolve("u.data")), "MovieLens 100K not found at " + ml
                + "; skipping (it is read from ../shared/data, never copied into the repo)");
        final Evaluator.Report report = new Evaluator(FunnelConfig.defaults(), line -> { })
                .evaluate(DatasetReader.read(ml, DatasetFormat.MOVIELENS));
        assertEquals(80_000, report.trainEvents());
        for (final Evaluator.Row row : report.rows()) {
            assertTrue(row.recallAtK() > 0.05, row + "\n" + report.table());
        }
    }
}
