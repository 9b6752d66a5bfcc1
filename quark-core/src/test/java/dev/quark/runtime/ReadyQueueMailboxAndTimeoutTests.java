package dev.quark.runtime;

/**
 * {@link MailboxAndTimeoutTests} with turns on the {@link TurnScheduler#READY_QUEUE ready-queue scheduler}.
 */
class ReadyQueueMailboxAndTimeoutTests extends MailboxAndTimeoutTests {

    @Override
    ActorRuntime.Builder runtimeBuilder() {
        return super.runtimeBuilder().turnScheduler(TurnScheduler.READY_QUEUE);
    }
}
