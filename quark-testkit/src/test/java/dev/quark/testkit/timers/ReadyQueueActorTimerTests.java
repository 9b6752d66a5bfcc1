package dev.quark.testkit.timers;

import dev.quark.runtime.TurnScheduler;

/**
 * {@link ActorTimerTests} with turns on the {@link TurnScheduler#READY_QUEUE ready-queue scheduler}.
 */
class ReadyQueueActorTimerTests extends ActorTimerTests {

    @Override
    TurnScheduler turnScheduler() {
        return TurnScheduler.READY_QUEUE;
    }
}
