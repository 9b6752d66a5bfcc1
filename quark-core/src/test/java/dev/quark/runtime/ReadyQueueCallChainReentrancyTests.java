package dev.quark.runtime;

/**
 * {@link CallChainReentrancyTests} with turns on the {@link TurnScheduler#READY_QUEUE ready-queue scheduler}.
 */
class ReadyQueueCallChainReentrancyTests extends CallChainReentrancyTests {

    @Override
    ActorRuntime.Builder runtimeBuilder() {
        return super.runtimeBuilder().turnScheduler(TurnScheduler.READY_QUEUE);
    }
}
