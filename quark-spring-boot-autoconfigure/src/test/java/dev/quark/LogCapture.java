package dev.quark;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.slf4j.LoggerFactory;

/**
 * What a logger logs while a test runs, readable while other threads still log to it.
 *
 * <p>Logback's {@link ListAppender} keeps its events in a plain {@code ArrayList}: a test that reads it while a
 * runtime thread appends gets a {@link java.util.ConcurrentModificationException} or a torn read. Here the list is a
 * {@link CopyOnWriteArrayList} and each read returns a copy. A logger hands an event to the appenders it had when
 * the event was logged, so an event may still arrive after {@link #close()}: the copies stay safe to take then too.
 * Each append copies the list, which suits the few thousand events a test captures at most.
 *
 * <pre>{@code
 * try (LogCapture logged = LogCapture.of(OutboxDispatcher.class)) {
 *     ...
 *     assertThat(logged.messages(Level.WARN)).singleElement().asString().contains("failed a delivery");
 * }
 * }</pre>
 */
public final class LogCapture implements AutoCloseable {

    private final Logger logger;

    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    private final boolean levelSet;

    private final Level levelBefore;

    private LogCapture(String loggerName, Level level) {
        this.logger = (Logger) LoggerFactory.getLogger(loggerName);
        this.levelSet = level != null;
        this.levelBefore = this.logger.getLevel();
        if (this.levelSet) {
            this.logger.setLevel(level);
        }
        this.appender.list = new CopyOnWriteArrayList<>();
        this.appender.start();
        this.logger.addAppender(this.appender);
    }

    /** Captures what the logger named after {@code source} logs at the level the configuration gives it. */
    public static LogCapture of(Class<?> source) {
        return new LogCapture(source.getName(), null);
    }

    /** Captures what the named logger (and the loggers below it) log at the level the configuration gives it. */
    public static LogCapture of(String loggerName) {
        return new LogCapture(loggerName, null);
    }

    /** Captures what the logger named after {@code source} logs at {@code level} and above, until closed. */
    public static LogCapture of(Class<?> source, Level level) {
        return of(source.getName(), level);
    }

    /** Captures what the named logger (and the loggers below it) log at {@code level} and above, until closed. */
    public static LogCapture of(String loggerName, Level level) {
        return new LogCapture(loggerName, level);
    }

    /** The events captured so far, in the order they were appended. */
    public List<ILoggingEvent> events() {
        return List.copyOf(this.appender.list);
    }

    /** The formatted messages of the events captured so far at exactly {@code level}, in order. */
    public List<String> messages(Level level) {
        return events().stream()
            .filter((event) -> event.getLevel() == level)
            .map(ILoggingEvent::getFormattedMessage)
            .toList();
    }

    /** Detaches the appender, and gives the logger back the level it had if this capture set one. */
    @Override
    public void close() {
        this.logger.detachAppender(this.appender);
        if (this.levelSet) {
            this.logger.setLevel(this.levelBefore);
        }
    }
}
