import pytest

from bridge.config import BridgeConfig, ConfigError, load, redact_url


def test_defaults_match_the_documentation():
    config = load({})
    assert config.kafka.bootstrap_servers == "127.0.0.1:9092"
    assert config.kafka.topic == "poc-test"
    assert config.kafka.partitions == 4
    assert config.redis.url == "redis://127.0.0.1:6379/0"
    assert config.timeout == 10.0
    assert config.wait == "pubsub"
    assert config == BridgeConfig()


def test_environment_overrides():
    config = load(
        {
            "KAFKA_BOOTSTRAP_SERVERS": "k:1",
            "REDIS_URL": "redis://r:2/3",
            "BRIDGE_TOPIC": "t",
            "BRIDGE_TIMEOUT": "2500ms",
            "BRIDGE_WAIT": "poll",
            "BRIDGE_MAX_IN_FLIGHT": "5",
            "KAFKA_CONFIG_SECURITY_PROTOCOL": "SASL_SSL",
        }
    )
    assert (config.kafka.bootstrap_servers, config.kafka.topic) == ("k:1", "t")
    assert config.redis.url == "redis://r:2/3"
    assert config.timeout == 2.5 and config.wait == "poll" and config.max_in_flight == 5
    assert config.kafka.client_config()["security.protocol"] == "SASL_SSL"


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"BRIDGE_WAIT": "sleep"}, "BRIDGE_WAIT"),
        ({"BRIDGE_TIMEOUT": "soon"}, "BRIDGE_TIMEOUT"),
        ({"BRIDGE_TIMEOUT": "0s"}, "BRIDGE_TIMEOUT"),
        ({"BRIDGE_MAX_IN_FLIGHT": "-1"}, "BRIDGE_MAX_IN_FLIGHT"),
        ({"BRIDGE_PARTITIONS": "four"}, "BRIDGE_PARTITIONS"),
    ],
)
def test_bad_values_name_the_variable(env, name):
    with pytest.raises(ConfigError, match=name):
        load(env)


def test_secrets_never_reach_a_repr():
    config = load({"REDIS_URL": "redis://user:hunter2@h:6379/0", "KAFKA_CONFIG_SASL_PASSWORD": "hunter2"})
    assert "hunter2" not in repr(config)
    assert redact_url("rediss://:pw@h:1/0") == "rediss://:***@h:1/0"
    assert redact_url("redis://h:1/0") == "redis://h:1/0"
