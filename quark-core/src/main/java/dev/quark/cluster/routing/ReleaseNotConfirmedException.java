package dev.quark.cluster.routing;

import java.util.Set;

import dev.quark.cluster.SiloUnavailableException;

import org.jspecify.annotations.Nullable;

/**
 * A child's first registration at a new partition owner failed for good: a live previous owner of the child did
 * not answer within the budget whether it gave up its activation of it (it hangs, and is not declared dead yet);
 * one that refused is a plain {@link SiloUnavailableException}, which the asker retries.
 * The owner answers it with {@link DistributedDirectory#NOT_RELEASED}, and the parent's silo does not ask again
 * (each attempt would wait as long again): the child stays placed by hash. Never sent between silos as such.
 */
final class ReleaseNotConfirmedException extends SiloUnavailableException {

    private static final long serialVersionUID = 1L;

    private final Set<String> silos;

    /**
     * Creates the exception.
     * @param message what was not released, by which silos
     * @param silos the previous owners that did not confirm
     * @param cause the first previous owner's failure
     */
    ReleaseNotConfirmedException(String message, Set<String> silos, @Nullable Throwable cause) {
        super(message, cause);
        this.silos = Set.copyOf(silos);
    }

    /**
     * Returns the previous owners that did not confirm.
     */
    Set<String> silos() {
        return this.silos;
    }
}
