// The online eviction policies by name, for the store and the trace replay alike.
package io.strata.tiering.policy;

import java.util.List;
import java.util.function.Supplier;

/**
 * Builds the classical (online, untrained) policies from a spec {@code name} or {@code name:parameter}:
 * <ul>
 * <li>{@code lru}</li>
 * <li>{@code lfu} — no aging</li>
 * <li>{@code lfu-aging[:H]} — counts halved every H tokens (default {@value LfuPolicy#DEFAULT_HALF_LIFE})</li>
 * <li>{@code lrfu[:λ]} — Lee et al.'s combined recency/frequency, λ per token in [0, 1] (default 1/16)</li>
 * <li>{@code arc} — adaptive replacement cache, one per layer with per-layer caches</li>
 * <li>{@code least-stale} — largest expected time to next use from reuse-distance histograms</li>
 * <li>{@code random[:seed]}</li>
 * </ul>
 * The learned policy needs trained weights and Belady the future: they are built by their callers.
 */
public final class Policies {
    private Policies() {}

    /** The baselines every comparison reports, in report order (random is a floor, not a baseline). */
    public static final List<String> BASELINES = List.of("lru", "lfu", "lfu-aging", "lrfu", "arc", "least-stale");

    /** Every name {@link #online} knows. */
    public static final List<String> ONLINE = List.of("lru", "lfu", "lfu-aging", "lrfu", "arc", "least-stale", "random");

    /** The policy name of a spec (the part before ':'). */
    public static String baseName(String spec) {
        int c = spec.indexOf(':');
        return c < 0 ? spec : spec.substring(0, c);
    }

    /** True if {@link #online} builds {@code spec}. */
    public static boolean isOnline(String spec) {
        return ONLINE.contains(baseName(spec));
    }

    /**
     * A fresh-instance supplier for {@code spec}.
     *
     * @param perLayer the cache is partitioned per layer (only ARC's state depends on it)
     * @throws IllegalArgumentException naming the spec and the expected names or parameter range
     */
    public static Supplier<EvictionPolicy> online(String spec, boolean perLayer) {
        String name = baseName(spec);
        String arg = spec.length() > name.length() ? spec.substring(name.length() + 1) : null;
        Supplier<EvictionPolicy> s = switch (name) {
            case "lru" -> noArg(spec, arg, LruPolicy::new);
            case "lfu" -> noArg(spec, arg, LfuPolicy::new);
            case "lfu-aging" -> {
                int h = arg == null ? LfuPolicy.DEFAULT_HALF_LIFE : (int) number(spec, arg, 1, Integer.MAX_VALUE, true);
                yield () -> new LfuPolicy(h);
            }
            case "lrfu" -> {
                double l = arg == null ? LrfuPolicy.DEFAULT_LAMBDA : number(spec, arg, 0, 1, false);
                yield () -> new LrfuPolicy(l);
            }
            case "arc" -> noArg(spec, arg, () -> new ArcPolicy(perLayer));
            case "least-stale" -> noArg(spec, arg, LeastStalePolicy::new);
            case "random" -> {
                long seed = arg == null ? 1 : (long) number(spec, arg, Long.MIN_VALUE, Long.MAX_VALUE, true);
                yield () -> new RandomPolicy(seed);
            }
            default -> throw new IllegalArgumentException("unknown eviction policy '" + spec + "' (expected one of "
                    + String.join(", ", ONLINE) + ", learned; lfu-aging:H, lrfu:LAMBDA and random:SEED take a parameter)");
        };
        return s;
    }

    private static Supplier<EvictionPolicy> noArg(String spec, String arg, Supplier<EvictionPolicy> s) {
        if (arg != null) {
            throw new IllegalArgumentException("eviction policy '" + spec + "': '" + baseName(spec) + "' takes no parameter");
        }
        return s;
    }

    private static double number(String spec, String arg, double min, double max, boolean integer) {
        double v;
        try {
            v = integer ? Long.parseLong(arg) : Double.parseDouble(arg);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("eviction policy '" + spec + "': expected " + (integer ? "an integer" : "a number")
                    + " after ':', found '" + arg + "'");
        }
        if (!(v >= min && v <= max)) {
            throw new IllegalArgumentException("eviction policy '" + spec + "': parameter must be in ["
                    + (integer ? String.valueOf((long) min) : String.valueOf(min)) + ", "
                    + (integer ? String.valueOf((long) max) : String.valueOf(max)) + "], found " + arg);
        }
        return v;
    }
}
