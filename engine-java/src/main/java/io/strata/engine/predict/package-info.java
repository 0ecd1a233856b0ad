// Expert prediction and prefetching: which experts the next layers will use, and hints to the store ahead of need.
/**
 * Predictors ({@link io.strata.engine.predict.ExpertPredictor}), one class each:
 * {@link io.strata.engine.predict.LookaheadPredictor} (routers of L+1..L+d on layer L's router input),
 * {@link io.strata.engine.predict.LearnedPredictor} (a FloE-style MLP per (layer, distance), trained here on
 * recorded routing, saved as JSON), {@link io.strata.engine.predict.FrequencyPrior} (baseline),
 * {@link io.strata.engine.predict.GatedPredictor} (any of them, only where it proved reliable), and
 * {@link io.strata.engine.predict.OraclePredictor} (the routes of an earlier recording of the same prompts: the
 * upper bound, for benchmarks only).
 *
 * <p>Data: {@link io.strata.engine.predict.RoutingRecorder} / {@link io.strata.engine.predict.RoutingRuns} record
 * router inputs and routes into a {@link io.strata.engine.predict.RoutingDataset};
 * {@link io.strata.engine.predict.PredictorEval} scores predictors on it offline (precision, recall per layer).
 *
 * <p>Online: {@link io.strata.engine.predict.Prefetcher} is a {@link io.strata.engine.moe.RoutingObserver} that
 * turns predictions into {@link io.strata.tiering.ExpertStore#prefetch} calls and keeps per-layer counters
 * (hints issued, used, bytes never used, demand stall from {@link io.strata.engine.predict.StallStatistics});
 * the store's own per-layer statistics supply the stall figures;
 * {@link io.strata.engine.predict.PrefetchBenchmark} measures decode on a tiered store with prefetch off vs on.
 */
package io.strata.engine.predict;
