package dev.quark.durabletasks.payload;

import java.lang.reflect.Type;

import org.jspecify.annotations.Nullable;

/**
 * Turns the values orchestrations and activities exchange into text and back. Payloads are stored in histories, so
 * the format must stay readable by later versions of the application. Implementations are thread-safe.
 */
public interface PayloadConverter {

    /**
     * Writes a value.
     * @param value the value; {@code null} is written as {@code null}
     * @return the text, {@code null} for a {@code null} value
     * @throws RuntimeException when the value cannot be written
     */
    @Nullable String write(@Nullable Object value);

    /**
     * Reads a value.
     * @param text the text, {@code null} for a {@code null} value
     * @param type the type to read it as
     * @return the value, of the type
     * @throws RuntimeException when the text cannot be read as the type
     */
    @Nullable Object read(@Nullable String text, Type type);

    /**
     * Returns the types a generic interface is implemented with, for instance {@code [Order, Receipt]} for a class
     * implementing {@code Activity<Order, Receipt>}.
     * @param implementation the implementing class
     * @param generic the generic interface
     * @return the type arguments, {@code Object} where they cannot be resolved (a lambda)
     */
    Type[] typeArguments(Class<?> implementation, Class<?> generic);
}
