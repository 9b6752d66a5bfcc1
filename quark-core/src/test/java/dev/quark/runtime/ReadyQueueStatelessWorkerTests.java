package dev.quark.runtime;

/**
 * {@link StatelessWorkerTests} with turns on the {@link TurnScheduler#READY_QUEUE ready-queue scheduler}.
 */
class ReadyQueueStatelessWorkerTests extends StatelessWorkerTests {

    @Override
    ActorRuntime.Builder runtimeBuilder() {
        return super.runtimeBuilder().turnScheduler(TurnScheduler.READY_QUEUE);
    }
}
