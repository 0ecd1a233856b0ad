// `strata calibrate`: measures this machine's rates for the step planner and saves them where `strata run` looks.
package io.strata.engine.cli;

import io.strata.engine.api.ModelLoader;
import io.strata.engine.backend.Backends;
import io.strata.engine.backend.cuda.CudaBackend;
import io.strata.engine.hybrid.Calibration;
import io.strata.engine.hybrid.Calibrator;
import io.strata.engine.model.ModelConfig;
import io.strata.tiering.store.PackedStore;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "calibrate", mixinStandardHelpOptions = true,
        description = "Measure memory read, SSD O_DIRECT read, CPU expert-kernel throughput per codec at 1..N threads and,"
                + " with CUDA, pinned host<->device copies and device expert throughput; saved where `strata run` and"
                + " `strata plan` find them (-Dstrata.calibration, $STRATA_CACHE or ~/.cache/strata/calibration.json).")
public final class CalibrateCommand implements Callable<Integer> {
    @Option(names = "--backend", defaultValue = "auto", description = "auto (CUDA when a device loads), cpu or cuda")
    String backend = "auto";

    @Option(names = "--model", description = "a packed store: its expert shape is measured and its disk read")
    Path model;

    @Option(names = "--disk", description = "folder on the disk to measure (default: the store's folder; none without one)")
    Path disk;

    @Option(names = "--hidden", defaultValue = "2048", description = "expert shape without --model: hidden size")
    int hidden = 2048;

    @Option(names = "--intermediate", defaultValue = "1024", description = "expert shape without --model: intermediate size")
    int intermediate = 1024;

    @Option(names = "--brief", description = "fewer, smaller repetitions (seconds instead of a minute)")
    boolean brief;

    @Option(names = "--json", description = "also write the calibration to this file")
    Path json;

    @Option(names = "--no-save", description = "do not save it as this machine's calibration")
    boolean noSave;

    @Override
    public Integer call() {
        int h = hidden, inter = intermediate;
        long block = 4L << 20;
        Path d = disk;
        if (model != null) {
            if (!ModelLoader.isPackedStore(model)) throw new IllegalArgumentException(model + ": not a packed store (make one with `strata pack`)");
            try (PackedStore ps = PackedStore.open(model)) {
                ModelConfig c = ModelConfig.parse(ps.manifest().model(), model);
                h = c.hidden();
                inter = c.expertIntermediate();
                block = ps.maxExpertBytes();
            }
            if (d == null) d = model;
        }
        CudaBackend cuda = null;
        if (!backend.equals("cpu")) {
            var be = Backends.create(backend);
            if (be instanceof CudaBackend cb) cuda = cb;
            else be.close();
        }
        try {
            Calibration cal = new Calibrator(h, inter, brief, System.out::println).ssdBlock(block).run(cuda, d);
            if (json != null) cal.save(json);
            if (!noSave) {
                cal.save(Calibration.defaultPath());
                System.out.println("saved " + Calibration.defaultPath());
            }
            return 0;
        } finally {
            if (cuda != null) cuda.close();
        }
    }
}
