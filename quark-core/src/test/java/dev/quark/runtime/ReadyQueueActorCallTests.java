package dev.quark.runtime;

/**
 * {@link ActorCallTests} with turns on the {@link TurnScheduler#READY_QUEUE ready-queue scheduler}.
 */
class ReadyQueueActorCallTests extends ActorCallTests {

    @Override
    ActorRuntime.Builder runtimeBuilder() {
        return super.runtimeBuilder().turnScheduler(TurnScheduler.READY_QUEUE);
    }
}
