package dev.quark.runtime;

/**
 * {@link ActivationLifecycleTests} with turns on the {@link TurnScheduler#READY_QUEUE ready-queue scheduler}.
 */
class ReadyQueueActivationLifecycleTests extends ActivationLifecycleTests {

    @Override
    ActorRuntime.Builder runtimeBuilder() {
        return super.runtimeBuilder().turnScheduler(TurnScheduler.READY_QUEUE);
    }
}
