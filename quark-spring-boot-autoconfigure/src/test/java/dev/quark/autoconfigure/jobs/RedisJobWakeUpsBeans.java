package dev.quark.autoconfigure.jobs;

import dev.quark.jobs.runtime.RedisJobWakeUps;

import org.springframework.context.ApplicationContext;
import org.springframework.context.SmartLifecycle;

/**
 * The jobs' Redis wake-ups of a context, for tests of other packages (their lifecycle is package-private).
 */
public final class RedisJobWakeUpsBeans {

    private RedisJobWakeUpsBeans() {
    }

    /**
     * Returns the context's job wake-ups.
     * @param context the application context
     * @return its wake-ups
     */
    public static RedisJobWakeUps wakeUps(ApplicationContext context) {
        return context.getBean(RedisJobWakeUpsLifecycle.class).wakeUps().orElseThrow();
    }

    /**
     * Returns the lifecycle that starts and stops the context's job wake-ups.
     * @param context the application context
     * @return the lifecycle
     */
    public static SmartLifecycle lifecycle(ApplicationContext context) {
        return context.getBean(RedisJobWakeUpsLifecycle.class);
    }
}
