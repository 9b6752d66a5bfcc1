package dev.quark.autoconfigure.actors;

import dev.quark.autoconfigure.ClosingLifecycle;
import dev.quark.runtime.ActorRuntime;

import org.springframework.context.SmartLifecycle;

/**
 * Shuts the actor runtime down when the application context stops, after the web server has stopped
 * taking requests and before any singleton is destroyed, so that {@code onDeactivate} hooks can still use
 * data sources and clients.
 */
final class ActorRuntimeLifecycle extends ClosingLifecycle {

    /** Stops after the web server (whose lifecycles use {@code DEFAULT_PHASE - 1024} and {@code - 2048}). */
    static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

    private final ActorRuntime runtime;

    ActorRuntimeLifecycle(ActorRuntime runtime) {
        super(PHASE);
        this.runtime = runtime;
    }

    @Override
    protected void close() {
        this.runtime.close();
    }
}
