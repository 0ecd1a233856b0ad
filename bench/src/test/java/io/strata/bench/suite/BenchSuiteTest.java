// The suite's arithmetic on hand-checked cases, its parsing and errors, and one small matrix run end to end.
package io.strata.bench.suite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchSuiteTest {
    @Test
    void meanAndSampleStandardDeviationMatchHandComputedValues() {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, squared deviations sum to 32, sample variance 32/7
        double[] xs = {2, 4, 4, 4, 5, 5, 7, 9};
        assertEquals(5.0, BenchSuite.mean(xs), 1e-12);
        assertEquals(Math.sqrt(32.0 / 7), BenchSuite.stddev(xs), 1e-12);
        assertEquals(0.0, BenchSuite.stddev(new double[] {3}));
        assertEquals(2.5, Bounds.median(List.of(4.0, 1.0, 3.0, 2.0)));
        assertEquals(3.0, Bounds.median(List.of(5.0, 1.0, 3.0)));
        assertTrue(Double.isNaN(Bounds.median(List.of())));
    }

    @Test
    void cacheSizesParseAsSysfsWritesThem() {
        assertEquals(307200L << 10, Bounds.parseSize("307200K"));
        assertEquals(32L << 20, Bounds.parseSize("32M"));
        assertEquals(1L << 30, Bounds.parseSize("1G"));
        assertEquals(4096, Bounds.parseSize("4096"));
    }

    @Test
    void warmUpIsSteadyOnlyWhenTheLastTwoRoundsAgree() {
        assertTrue(BenchSuite.close(List.of(50.0, 100.0, 103.0), 0.05));
        assertTrue(!BenchSuite.close(List.of(100.0, 110.0), 0.05));
        assertTrue(!BenchSuite.close(List.of(100.0), 0.05));
    }

    @Test
    void presetsTakeALayerSuffixAndRefuseBadNames() {
        assertEquals(4, SynthPresets.spec("olmoe-1b-7b@4").layers());
        assertEquals(2048, SynthPresets.spec("olmoe-1b-7b@4").hidden());
        assertTrue(SynthPresets.isPreset("olmoe-1b-7b@4"));
        var e = assertThrows(IllegalArgumentException.class, () -> SynthPresets.spec("olmoe-1b-7b@40"));
        assertTrue(e.getMessage().contains("layers must be in [1, 16], found 40"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SynthPresets.spec("gpt-5"));
        assertTrue(e.getMessage().contains("unknown preset 'gpt-5'"), e.getMessage());
        // bf16 OLMoE-1B-7B: 16 layers x 64 experts x 3 x 2048 x 1024 x 2 bytes of experts alone = 12.88 GB
        assertTrue(SynthPresets.bytesOnDisk("olmoe-1b-7b", "checkpoint") > 12_884_901_888L);
        assertTrue(SynthPresets.bytesOnDisk("olmoe-1b-7b", "int4") < SynthPresets.bytesOnDisk("olmoe-1b-7b", "checkpoint") / 2);
    }

    @Test
    void theMatrixIsEveryCombinationAndAHostBudgetNeedsAStore(@TempDir Path tmp) {
        var spec = new BenchSuite.Spec(List.of("tiny", tmp.toString()), List.of(4), List.of(4), List.of("checkpoint", "int4"), List.of("cpu"),
                List.of("-", "0.5"), List.of("-"), List.of("-"), List.of(1, 2), 1, 1, 0.05, tmp);
        // tiny: 2 codecs x 2 budgets; the folder: its own codec x 2 budgets; all of it for each of 2 thread counts
        assertEquals(2 * (4 + 2), new BenchSuite(spec, System.err).configs().size());
        var e = assertThrows(IllegalArgumentException.class, () -> BenchSuite.hostBudgetBytes("0.5", tmp));
        assertTrue(e.getMessage().contains("is a checkpoint folder, which has no tiers"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new BenchSuite.Spec(List.of("tiny"), List.of(0), List.of(), List.of("checkpoint"),
                List.of("cpu"), List.of("-"), List.of("-"), List.of("-"), List.of(), 1, 1, 0.05, tmp));
        assertTrue(e.getMessage().contains("prompt sizes must be >= 1, found 0"), e.getMessage());
    }

    @Test
    void aSmallMatrixRunsAndEveryFormatCarriesItsRows(@TempDir Path tmp) throws Exception {
        var spec = new BenchSuite.Spec(List.of("tiny"), List.of(8), List.of(4), List.of("checkpoint"), List.of("cpu"),
                List.of("-"), List.of("-"), List.of("-"), List.of(), 2, 2, 0.05, tmp);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        List<BenchSuite.Row> rows = new BenchSuite(spec, new PrintStream(log, true)).run();
        assertEquals(2, rows.size());
        BenchSuite.Row pp = rows.get(0), tg = rows.get(1);
        assertEquals("pp8", pp.test());
        assertEquals("tg4", tg.test());
        assertEquals(2, tg.samples().length);
        for (double x : tg.samples()) assertTrue(x > 0, "decode speed " + x);
        assertEquals(BenchSuite.mean(tg.samples()), tg.mean(), 1e-9);
        assertTrue(Double.isNaN(pp.boundTps()), "prefill has no memory bound");
        assertEquals(tg.mean() / tg.boundTps(), tg.ratio(), 1e-9);
        assertEquals(tg.memoryBw() / tg.activeBytesPerToken(), tg.boundTps(), 1e-6 * tg.boundTps());
        assertTrue(tg.bound().startsWith("memory"), tg.bound());
        assertNull(tg.fastHitRate(), "a checkpoint folder has no tiers");
        assertTrue(Files.isDirectory(tmp.resolve("synthetic-tiny")), "the preset was written to the cache dir");

        String md = BenchOutput.format("md", rows, null);
        assertEquals(4, md.lines().count(), md); // header, rule, two rows
        assertTrue(md.contains("| tg4 |"), md);
        String csv = BenchOutput.format("csv", rows, null);
        // commas inside double quotes are part of a field
        for (String line : csv.lines().toList()) {
            assertEquals(BenchOutput.CSV_COLUMNS.size(), line.split(",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)", -1).length, line);
        }
        JsonNode j = new ObjectMapper().readTree(BenchOutput.format("json", rows, null));
        assertEquals(2, j.get("rows").size());
        assertEquals("tg4", j.get("rows").get(1).get("test").asText());
        assertEquals(2, j.get("rows").get(1).get("samples_ts").size());
        assertEquals(2, BenchOutput.format("jsonl", rows, null).lines().count());
        var e = assertThrows(IllegalArgumentException.class, () -> BenchOutput.format("xml", rows, null));
        assertTrue(e.getMessage().contains("expected one of [md, csv, json, jsonl], found 'xml'"), e.getMessage());

        Path png = tmp.resolve("sweep.png");
        SweepPlot.write(rows, "test", png);
        assertTrue(Files.size(png) > 1000);
    }

    @Test
    void aTieredStoreUnderAQuarterBudgetReadsFromTheSsdAndIsJudgedByItsBound(@TempDir Path tmp) throws Exception {
        var spec = new BenchSuite.Spec(List.of("demo-mixtral@2"), List.of(), List.of(8), List.of("int4"), List.of("cpu"),
                List.of("0.25"), List.of("lru"), List.of("-", "lookahead"), List.of(), 2, 1, 0.05, tmp);
        List<BenchSuite.Row> rows = new BenchSuite(spec, new PrintStream(new ByteArrayOutputStream(), true)).run();
        assertEquals(2, rows.size());
        BenchSuite.Row r = rows.get(0);
        assertEquals("-", r.prefetch());
        assertNull(r.prefetchStats(), "no prefetch, no prefetch figures");
        // The look-ahead predictor hints layer 1's experts during layer 0: hints are issued, and the useful ones (late
        // ones among them) cannot outnumber them.
        BenchSuite.Row pf = rows.get(1);
        assertEquals("lookahead", pf.prefetch());
        BenchSuite.Prefetch p = pf.prefetchStats();
        assertTrue(p != null && p.issued() > 0, "prefetch " + p);
        assertTrue(p.late() <= p.useful() && p.useful() <= p.issued() && p.cancelled() <= p.issued(), "prefetch " + p);
        String md = BenchOutput.format("md", rows, null);
        assertTrue(md.contains("| " + p.useful() + " (" + p.late() + ") / " + p.issued() + " |"), md);
        // the share of resident memory in huge pages goes with each row (null where /proc does not say)
        double share = r.hugePageShare();
        assertTrue(Double.isNaN(share) || (share >= 0 && share <= 1), "huge page share " + share);
        assertTrue(BenchOutput.rowJson(r).has("huge_page_share"));
        JsonNode pj = BenchOutput.rowJson(pf).get("store").get("prefetch");
        assertEquals(p.issued(), pj.get("issued").asLong());
        assertEquals(p.useful(), pj.get("useful").asLong());
        Path store = Path.of(r.path());
        try (var ps = io.strata.tiering.store.PackedStore.open(store)) {
            // a quarter of 2 layers x 8 experts = 4 host slots of the largest expert
            assertEquals(4 * ps.maxExpertBytes(), r.hostBudgetBytes());
        }
        assertEquals("int4", r.codec());
        assertTrue(r.hostHitRate() != null && r.hostHitRate() < 1, "a quarter budget misses: host hit rate " + r.hostHitRate());
        assertTrue(r.ssdBytesPerToken() > 0, "misses are read from the store file");
        assertTrue(r.ssdBw() > 0);
        double ssdBound = r.ssdBw() / r.ssdBytesPerToken(), memBound = r.memoryBw() / r.activeBytesPerToken();
        assertEquals(Math.min(ssdBound, memBound), r.boundTps(), 1e-6 * r.boundTps());
        assertTrue(r.bound().startsWith(ssdBound < memBound ? "ssd" : "memory"), r.bound());
        assertTrue(BenchOutput.format("md", rows, null).contains("| 0.25 | lru | - |"));
    }
}
