package dev.quark.autoconfigure.cluster;

import java.util.Arrays;
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
 * The condition behind {@link ConditionalOnTransportType}: binds {@code quark.cluster.transport.type} with
 * Spring Boot's binder, so that it matches exactly the values {@link QuarkClusterProperties} accepts.
 */
class OnTransportTypeCondition extends SpringBootCondition {

    static final String PROPERTY = "quark.cluster.transport.type";

    @Override
    public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
        QuarkClusterProperties.TransportType required = metadata.getAnnotations()
            .get(ConditionalOnTransportType.class)
            .getEnum("value", QuarkClusterProperties.TransportType.class);
        QuarkClusterProperties.TransportType chosen = chosen(context);
        ConditionMessage.Builder message = ConditionMessage.forCondition(ConditionalOnTransportType.class,
                "(" + required + ")");
        return (chosen == required) ? ConditionOutcome.match(message.because(PROPERTY + " is " + chosen))
                : ConditionOutcome.noMatch(message.because(PROPERTY + " is " + chosen));
    }

    private static QuarkClusterProperties.TransportType chosen(ConditionContext context) {
        try {
            return Binder.get(context.getEnvironment())
                .bind(PROPERTY, QuarkClusterProperties.TransportType.class)
                .orElse(QuarkClusterProperties.TransportType.IN_JVM);
        }
        catch (BindException ex) {
            String value = context.getEnvironment().getProperty(PROPERTY);
            throw new InvalidConfigurationPropertyValueException(PROPERTY, value,
                    "'" + value + "' is not a transport: use one of " + Arrays
                        .stream(QuarkClusterProperties.TransportType.values())
                        .map((type) -> type.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'))
                        .collect(Collectors.joining(", ")));
        }
    }
}
