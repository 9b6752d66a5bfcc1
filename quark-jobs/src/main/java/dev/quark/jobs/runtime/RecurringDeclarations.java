package dev.quark.jobs.runtime;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import dev.quark.jobs.Recurring;
import dev.quark.jobs.RecurringJobRequest;
import dev.quark.jobs.Schedule;

/**
 * Reads the recurring jobs that registered handlers declare with {@link Recurring} on their class (or a superclass:
 * the annotation is inherited, so a class proxy of the bean still has it), and those of bean methods marked with it
 * ({@link RecurringMethodHandler}).
 */
public final class RecurringDeclarations {

    private static final String NO_PAYLOAD = "{}";

    private RecurringDeclarations() {
    }

    /**
     * Returns the recurring jobs the handlers declare.
     * @param handlers the registered handlers
     * @param codec reads the declared payloads as each handler's payload type
     * @return one request per annotation, in the order of the handlers
     * @throws IllegalArgumentException naming the recurring job's id and the handler class when an annotation is not
     * valid: neither or both of cron and every, a bad cron expression, interval or zone, a payload not readable
     */
    public static List<RecurringJobRequest> read(JobHandlerRegistry handlers, JobPayloadCodec codec) {
        Objects.requireNonNull(handlers, "handlers must not be null");
        Objects.requireNonNull(codec, "codec must not be null");
        List<RecurringJobRequest> requests = new ArrayList<>();
        for (RegisteredJobHandler handler : handlers.handlers()) {
            if (handler.handler() instanceof RecurringMethodHandler method) {
                for (Recurring recurring : method.recurring()) {
                    requests.add(request(handler, method, recurring, codec));
                }
                continue;
            }
            Class<?> handlerClass = handler.handler().getClass();
            for (Recurring recurring : handlerClass.getAnnotationsByType(Recurring.class)) {
                requests.add(request(handler, handlerClass, recurring, codec));
            }
        }
        return requests;
    }

    private static RecurringJobRequest request(RegisteredJobHandler handler, Class<?> handlerClass, Recurring recurring,
            JobPayloadCodec codec) {
        String where = "@Recurring(id = \"" + recurring.id() + "\") on " + handlerClass.getName();
        try {
            Object payload = codec.readDeclared(handler.type(), handler.payloadType(), recurring.payload());
            return new RecurringJobRequest(recurring.id(), handler.type(), payload, schedule(recurring),
                    recurring.misfirePolicy(), recurring.overlapPolicy());
        }
        catch (IllegalArgumentException | DateTimeException ex) {
            throw new IllegalArgumentException(where + " is not valid: " + ex.getMessage(), ex);
        }
    }

    private static RecurringJobRequest request(RegisteredJobHandler handler, RecurringMethodHandler method,
            Recurring recurring, JobPayloadCodec codec) {
        String where = "@Recurring(id = \"" + recurring.id() + "\") on " + method.where();
        if (!NO_PAYLOAD.equals(recurring.payload().strip())) {
            throw new IllegalArgumentException(where + " is not valid: a method's jobs have no payload, was '"
                    + recurring.payload() + "' (a payload is for @Recurring on a JobHandler class)");
        }
        try {
            Object payload = codec.readDeclared(handler.type(), handler.payloadType(), NO_PAYLOAD);
            return new RecurringJobRequest(recurring.id(), handler.type(), payload, schedule(recurring),
                    recurring.misfirePolicy(), recurring.overlapPolicy());
        }
        catch (IllegalArgumentException | DateTimeException ex) {
            throw new IllegalArgumentException(where + " is not valid: " + ex.getMessage(), ex);
        }
    }

    private static Schedule schedule(Recurring recurring) {
        boolean cron = !recurring.cron().isEmpty();
        boolean every = !recurring.every().isEmpty();
        if (cron == every) {
            throw new IllegalArgumentException("set exactly one of cron and every, was cron = '" + recurring.cron()
                    + "', every = '" + recurring.every() + "'");
        }
        if (every) {
            if (!recurring.zone().isEmpty()) {
                throw new IllegalArgumentException("a zone is for cron schedules, was '" + recurring.zone()
                        + "' with every = '" + recurring.every() + "'");
            }
            try {
                return Schedule.every(Duration.parse(recurring.every()));
            }
            catch (DateTimeParseException ex) {
                throw new IllegalArgumentException("every must be an ISO-8601 duration such as PT5M, was '"
                        + recurring.every() + "'", ex);
            }
        }
        ZoneId zone;
        try {
            zone = recurring.zone().isEmpty() ? ZoneId.of("UTC") : ZoneId.of(recurring.zone());
        }
        catch (DateTimeException ex) {
            throw new IllegalArgumentException("unknown time zone '" + recurring.zone() + "'", ex);
        }
        return Schedule.cron(recurring.cron(), zone);
    }
}
