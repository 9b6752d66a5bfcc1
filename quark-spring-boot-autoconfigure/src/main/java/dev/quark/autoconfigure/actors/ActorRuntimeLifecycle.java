package dev.quark.autoconfigure.actors;

import dev.quark.runtime.ActorRuntime;

import org.springframework.context.SmartLifecycle;

/**
 * Shuts the actor runtime down when the application context stops, after the web server has stopped
 * taking requests and before any singleton is destroyed, so that {@code onDeactivate} hooks can still use
 * data sources and clients.
 */
final class ActorRuntimeLifecycle implements SmartLifecycle {

    /** Stops after the web server (whose lifecycles use {@code DEFAULT_PHASE - 1024} and {@code - 2048}). */
    static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

    private final ActorRuntime runtime;

    private volatile boolean running;

    ActorRuntimeLifecycle(ActorRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public void start() {
        this.running = true;
    }

    @Override
    public void stop() {
        this.running = false;
        this.runtime.close();
    }

    @Override
    public boolean isRunning() {
        return this.running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
