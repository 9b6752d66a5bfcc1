package dev.quark.testkit;

import java.time.Duration;

import org.awaitility.Awaitility;
import org.awaitility.pollinterval.IterativePollInterval;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Sets Awaitility's polling for the tests of this module, once per test run: a condition is checked at once, then
 * 5, 10, 20 and 40 ms apart, then every 50 ms. Awaitility's own defaults check first after 100 ms and then every
 * 100 ms, so that each wait cost 100 to 200 ms even when what it waited for took a millisecond, and the tests wait
 * thousands of times. Timeouts ({@code atMost}) and windows ({@code during}) are unchanged, and so are the waits
 * that set their own polling. Registered in
 * {@code META-INF/services/org.junit.platform.launcher.LauncherSessionListener}.
 */
public final class AwaitilityDefaults implements LauncherSessionListener {

    private static final Duration FIRST_POLL_INTERVAL = Duration.ofMillis(5);

    private static final Duration LONGEST_POLL_INTERVAL = Duration.ofMillis(50);

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        Awaitility.setDefaultPollDelay(Duration.ZERO);
        Awaitility.setDefaultPollInterval(new IterativePollInterval(AwaitilityDefaults::next, FIRST_POLL_INTERVAL));
    }

    private static Duration next(Duration previous) {
        Duration doubled = previous.multipliedBy(2);
        return (doubled.compareTo(LONGEST_POLL_INTERVAL) < 0) ? doubled : LONGEST_POLL_INTERVAL;
    }
}
