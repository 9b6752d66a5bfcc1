package dev.quark.testkit.supervision;

import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

import dev.quark.runtime.internal.ReadyQueueScheduler;
import org.junit.jupiter.api.AfterEach;

/**
 * {@link SupervisionTests} with turns on a scheduler of ready activations (through the tests' counting executor,
 * so without its fairness bound).
 */
class ReadyQueueSupervisionTests extends SupervisionTests {

    /** Made while the superclass builds its kit, before this class's field initialisers would run. */
    private ReadyQueueScheduler scheduler;

    @Override
    Executor turnThreads() {
        this.scheduler = new ReadyQueueScheduler("test-turn", 4, 32_768, 32, TimeUnit.MILLISECONDS.toNanos(1));
        return this.scheduler;
    }

    @AfterEach
    void closeScheduler() {
        this.scheduler.close();
    }
}
