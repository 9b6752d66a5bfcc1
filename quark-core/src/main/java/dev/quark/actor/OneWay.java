package dev.quark.actor;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a {@code void} contract method as fire-and-forget: the caller returns as soon as the message is in
 * the actor's mailbox. A failure of the turn is logged, not reported to the caller. The caller still waits
 * for room when the mailbox is full, so one-way messages are never dropped silently.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface OneWay {
}
