// Expert prediction and prefetching: which experts the next layers will use, and hints to the store ahead of need.
/**
 * Predictors ({@link io.strata.engine.predict.ExpertPredictor}), one class each:
 * {@link io.strata.engine.predict.LookaheadPredictor} (routers of L+1..L+d on layer L's router input),
 * {@link io.strata.engine.predict.LearnedPredictor} (a FloE-style MLP per (layer, distance), trained here on
 * recorded routing, saved as JSON), {@link io.strata.engine.predict.FrequencyPrior} (baseline).
 *
 * <p>Data: {@link io.strata.engine.predict.RoutingRecorder} records router inputs and routes into a
 * {@link io.strata.engine.predict.RoutingDataset}. The experiments over it (offline scoring, the gated and oracle
 * predictors, prefetch on vs off) live in the bench module ({@code io.strata.bench.predict}).
 *
 * <p>Online: {@link io.strata.engine.predict.Prefetcher} is a {@link io.strata.engine.moe.RoutingObserver} that
 * turns predictions into {@link io.strata.tiering.ExpertStore#prefetch} calls and keeps per-layer counters
 * (hints issued, used, bytes never used, demand stall from {@link io.strata.engine.predict.StallStatistics});
 * the store's own per-layer statistics supply the stall figures.
 */
package io.strata.engine.predict;
