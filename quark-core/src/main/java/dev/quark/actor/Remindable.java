package dev.quark.actor;

/**
 * Implemented by an actor that receives reminders: persistent, possibly periodic wake-ups registered with
 * {@link AbstractActor#registerReminder(String, ReminderSchedule)}. Each tick is delivered as a turn of the
 * actor, activating it when needed, like any call.
 * <pre>{@code
 * @QuarkActor
 * class AccountActor extends AbstractActor implements Account, Remindable {
 *
 *     public void open() {
 *         registerReminder("monthly-fee", ReminderSchedule.cron("0 0 0 1 * *", ZoneOffset.UTC));
 *     }
 *
 *     @Override
 *     public void receiveReminder(String name, ReminderStatus status) {
 *         if (name.equals("monthly-fee")) {
 *             chargeFeeFor(status.scheduledAt());   // idempotent: keyed by the scheduled instant
 *         }
 *     }
 * }
 * }</pre>
 * Delivery is at least once per scheduled instant: after a crash a tick may come again, with the same
 * {@link ReminderStatus#scheduledAt()}, which is what an actor deduplicates on. A tick that throws is logged
 * and counted; a periodic reminder goes on with its schedule, a one-shot reminder is retried with backoff up to
 * a limit. See {@code docs/reminders.md}.
 */
@SharedContract
public interface Remindable extends Actor {

    /**
     * Receives one tick of a reminder this actor registered.
     * @param name the reminder's name
     * @param status the scheduled instant, when the tick fired, the payload and the attempt
     * @throws Exception to fail the tick: it is logged and counted, and a one-shot reminder is retried
     */
    void receiveReminder(String name, ReminderStatus status) throws Exception;
}
