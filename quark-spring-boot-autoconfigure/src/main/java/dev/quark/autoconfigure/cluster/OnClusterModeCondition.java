package dev.quark.autoconfigure.cluster;

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
 * The condition behind {@link ConditionalOnClusterMode}: binds {@code quark.cluster.mode} with Spring Boot's
 * binder, so that it matches exactly the values {@link QuarkClusterProperties} accepts.
 */
class OnClusterModeCondition extends SpringBootCondition {

    static final String PROPERTY = "quark.cluster.mode";

    @Override
    public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
        QuarkClusterProperties.Mode required = metadata.getAnnotations()
            .get(ConditionalOnClusterMode.class)
            .getEnum("value", QuarkClusterProperties.Mode.class);
        QuarkClusterProperties.Mode chosen = chosen(context);
        ConditionMessage.Builder message = ConditionMessage.forCondition(ConditionalOnClusterMode.class,
                "(" + required + ")");
        return (chosen == required) ? ConditionOutcome.match(message.because(PROPERTY + " is " + chosen))
                : ConditionOutcome.noMatch(message.because(PROPERTY + " is " + chosen));
    }

    private static QuarkClusterProperties.Mode chosen(ConditionContext context) {
        try {
            return Binder.get(context.getEnvironment())
                .bind(PROPERTY, QuarkClusterProperties.Mode.class)
                .orElse(QuarkClusterProperties.Mode.SILO);
        }
        catch (BindException ex) {
            String value = context.getEnvironment().getProperty(PROPERTY);
            throw new InvalidConfigurationPropertyValueException(PROPERTY, value,
                    "'" + value + "' is not a cluster mode: use one of " + Arrays
                        .stream(QuarkClusterProperties.Mode.values())
                        .map((mode) -> mode.name().toLowerCase(Locale.ROOT))
                        .collect(Collectors.joining(", ")));
        }
    }
}
