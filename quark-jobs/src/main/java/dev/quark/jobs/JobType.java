package dev.quark.jobs;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Names the job type of a {@link JobHandler} class, so that renaming the class does not change the name stored
 * with its jobs:
 * <pre>{@code
 * @JobType("send-invoice")
 * class InvoiceMailer implements JobHandler<SendInvoice> { ... }
 * }</pre>
 * On a bean method annotated with {@link Recurring}, it names the job type of that method's jobs in the same way.
 */
@Target({ ElementType.TYPE, ElementType.METHOD })
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface JobType {

    /**
     * The job type: letters, digits, '.', '_', ':' and '-', starting with a letter or a digit, at most 200
     * characters.
     * @return the type
     */
    String value();
}
