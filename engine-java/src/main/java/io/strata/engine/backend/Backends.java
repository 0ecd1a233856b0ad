// Chooses the compute backend (--backend auto|cpu|cuda) and says why.
package io.strata.engine.backend;

import io.strata.engine.backend.cpu.CpuBackend;
import java.lang.System.Logger.Level;

public final class Backends {
    private static final System.Logger LOG = System.getLogger("strata.backend");
    private static final String CUDA_CLASS = "io.strata.engine.backend.cuda.CudaBackend";

    private Backends() {}

    /**
     * auto: CUDA when a device loads, else the CPU with the reason logged; cpu: the CPU backend;
     * cuda: the CUDA backend or an error saying why it is unavailable.
     */
    public static Backend create(String kind) {
        switch (kind) {
            case "cpu" -> {
                return cpu();
            }
            case "cuda" -> {
                return cuda();
            }
            case "auto" -> {
                try {
                    return cuda();
                } catch (BackendUnavailableException e) {
                    // On a machine without CUDA this is the normal case: one DEBUG line with the reason, no stack trace.
                    LOG.log(Level.DEBUG, "backend auto: using the CPU (" + e.getMessage() + ")");
                    return cpu();
                }
            }
            default -> throw new IllegalArgumentException("unknown backend '" + kind + "' (auto, cpu, cuda)");
        }
    }

    private static Backend cpu() {
        CpuBackend b = new CpuBackend();
        LOG.log(Level.INFO, "backend: " + b.name());
        return b;
    }

    /** Loaded reflectively so the CPU path never touches JCuda classes. */
    private static Backend cuda() {
        try {
            Class<?> c = Class.forName(CUDA_CLASS);
            Backend b = (Backend) c.getMethod("create").invoke(null);
            LOG.log(Level.INFO, "backend: " + b.name());
            return b;
        } catch (ClassNotFoundException e) {
            throw new BackendUnavailableException("CUDA backend unavailable: not part of this build");
        } catch (java.lang.reflect.InvocationTargetException e) {
            Throwable cause = e.getCause();
            throw new BackendUnavailableException(cause.getMessage() != null && cause.getMessage().startsWith("CUDA backend unavailable")
                    ? cause.getMessage() : "CUDA backend unavailable: " + cause, cause);
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new BackendUnavailableException("CUDA backend unavailable: " + e, e);
        }
    }

    public static final class BackendUnavailableException extends RuntimeException {
        public BackendUnavailableException(String m) {
            super(m);
        }

        public BackendUnavailableException(String m, Throwable c) {
            super(m, c);
        }
    }
}
