package dev.quark.runtime;

/**
 * {@link ActorRuntimeConcurrencyTests} with turns on the {@link TurnScheduler#READY_QUEUE ready-queue scheduler}.
 */
class ReadyQueueActorRuntimeConcurrencyTests extends ActorRuntimeConcurrencyTests {

    @Override
    ActorRuntime.Builder runtimeBuilder() {
        return super.runtimeBuilder().turnScheduler(TurnScheduler.READY_QUEUE);
    }
}
