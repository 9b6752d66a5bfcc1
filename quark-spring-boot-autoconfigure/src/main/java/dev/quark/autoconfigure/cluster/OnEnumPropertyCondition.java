package dev.quark.autoconfigure.cluster;

import java.lang.annotation.Annotation;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

import org.springframework.boot.autoconfigure.condition.ConditionMessage;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * A condition on an enum property of {@link QuarkClusterProperties}: binds the property with Spring Boot's
 * binder, so that it matches exactly the values the properties accept, and matches when it equals the
 * {@code value} of the conditional annotation. A value that does not bind fails the start naming the property
 * and the values it takes.
 * @param <E> the property's type
 */
abstract class OnEnumPropertyCondition<E extends Enum<E>> extends SpringBootCondition {

    private final String property;

    private final Class<E> type;

    private final E defaultValue;

    private final Class<? extends Annotation> annotation;

    private final String noun;

    /**
     * Creates the condition.
     * @param property the property's name
     * @param type the property's type
     * @param defaultValue the value when the property is not set
     * @param annotation the conditional annotation, whose {@code value} is the required value
     * @param noun what one value is, for the error message ("a transport")
     */
    OnEnumPropertyCondition(String property, Class<E> type, E defaultValue, Class<? extends Annotation> annotation,
            String noun) {
        this.property = property;
        this.type = type;
        this.defaultValue = defaultValue;
        this.annotation = annotation;
        this.noun = noun;
    }

    @Override
    public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
        E required = metadata.getAnnotations().get(this.annotation).getEnum("value", this.type);
        E chosen = chosen(context);
        ConditionMessage.Builder message = ConditionMessage.forCondition(this.annotation, "(" + required + ")");
        return (chosen == required) ? ConditionOutcome.match(message.because(this.property + " is " + chosen))
                : ConditionOutcome.noMatch(message.because(this.property + " is " + chosen));
    }

    private E chosen(ConditionContext context) {
        try {
            return Binder.get(context.getEnvironment()).bind(this.property, this.type).orElse(this.defaultValue);
        }
        catch (BindException ex) {
            String value = context.getEnvironment().getProperty(this.property);
            throw new InvalidConfigurationPropertyValueException(this.property, value,
                    "'" + value + "' is not " + this.noun + ": use one of "
                            + Arrays.stream(this.type.getEnumConstants())
                                .map((constant) -> constant.name().toLowerCase(Locale.ROOT).replace('_', '-'))
                                .collect(Collectors.joining(", ")));
        }
    }
}
