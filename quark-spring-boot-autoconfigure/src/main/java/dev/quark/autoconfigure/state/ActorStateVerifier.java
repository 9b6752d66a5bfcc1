package dev.quark.autoconfigure.state;

import dev.quark.runtime.ActorRuntime;
import dev.quark.runtime.ActorTypeView;
import dev.quark.state.StateActivationHook;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;

/**
 * Checks every actor's {@link dev.quark.state.ActorState} declarations once the application context is ready,
 * so that an invalid field or a store that is not configured fails start-up rather than the first call.
 */
class ActorStateVerifier implements SmartInitializingSingleton {

    private final ObjectProvider<ActorRuntime> runtime;

    private final ObjectProvider<StateActivationHook> hook;

    ActorStateVerifier(ObjectProvider<ActorRuntime> runtime, ObjectProvider<StateActivationHook> hook) {
        this.runtime = runtime;
        this.hook = hook;
    }

    @Override
    public void afterSingletonsInstantiated() {
        ActorRuntime actors = this.runtime.getIfUnique();
        StateActivationHook states = this.hook.getIfUnique();
        if (actors == null || states == null) {
            return;
        }
        for (ActorTypeView type : actors.actorTypes()) {
            states.verify(type);
        }
    }
}
