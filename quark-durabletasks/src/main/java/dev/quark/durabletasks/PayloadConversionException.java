package dev.quark.durabletasks;

import java.lang.reflect.Type;

import org.jspecify.annotations.Nullable;

/**
 * An input, output, result or event payload could not be written as JSON or read as the type it was declared with.
 * When scheduling, the input is checked against the orchestration's declared input type and nothing is stored if it
 * does not fit.
 */
public class PayloadConversionException extends DurableTaskException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param what what was converted, for instance {@code the input of orchestration 'order'}
     * @param type the type it was read as or written from
     * @param cause the converter's exception
     */
    public PayloadConversionException(String what, Type type, @Nullable Throwable cause) {
        super("Cannot convert " + what + " as " + type.getTypeName()
                + ((cause != null && cause.getMessage() != null) ? ": " + firstLine(cause.getMessage()) : ""), cause);
    }

    private PayloadConversionException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }

    /**
     * Rebuilds the exception another silo threw, with the message written there.
     * @param message the message as written there
     * @param cause the rebuilt cause, if it arrived
     * @return the exception
     */
    public static PayloadConversionException crossedSilos(String message, @Nullable Throwable cause) {
        return new PayloadConversionException(message, cause);
    }

    private static String firstLine(String message) {
        int end = message.indexOf('\n');
        return (end < 0) ? message : message.substring(0, end);
    }
}
