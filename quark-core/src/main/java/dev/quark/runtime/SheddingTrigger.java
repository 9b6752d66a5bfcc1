package dev.quark.runtime;

/**
 * Why the runtime deactivated idle activations before their idle timeout, as reported to
 * {@link ActorMetrics#activationsShed(String, SheddingTrigger, int)}.
 */
public enum SheddingTrigger {

    /** The silo held more activations than the configured maximum. */
    MAX_ACTIVATIONS,

    /** The heap in use after the last garbage collection exceeded the configured limit. */
    MEMORY_PRESSURE
}
