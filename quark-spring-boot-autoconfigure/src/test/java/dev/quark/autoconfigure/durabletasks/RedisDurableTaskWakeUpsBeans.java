package dev.quark.autoconfigure.durabletasks;

import java.util.Objects;

import dev.quark.durabletasks.store.redis.RedisDurableTaskWakeUps;

import org.springframework.context.ApplicationContext;

/**
 * The durable tasks' Redis wake-ups of a context, for tests of other packages (their lifecycle is package-private).
 */
public final class RedisDurableTaskWakeUpsBeans {

    private RedisDurableTaskWakeUpsBeans() {
    }

    /**
     * Returns the context's durable-task wake-ups.
     * @param context the application context
     * @return its wake-ups
     */
    public static RedisDurableTaskWakeUps wakeUps(ApplicationContext context) {
        return Objects.requireNonNull(
                context.getBean(DurableTaskWorkerLifecycle.class).wakeUps(RedisDurableTaskWakeUps.class),
                "the durable-task worker has no Redis wake-ups");
    }
}
